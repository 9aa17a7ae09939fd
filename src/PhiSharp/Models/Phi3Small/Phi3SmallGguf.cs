using PhiSharp.Formats.Gguf;

namespace PhiSharp.Models.Phi3Small;

/// <summary>
/// PhiSharp's <c>phi3small</c> GGUF architecture (llama.cpp has none; docs/PHI3SMALL_GGUF.md lists the keys): the
/// tensors under llama.cpp's names for the same roles, each with its bias, LongRoPE's factors as
/// rope_factors_short/long.weight, and every config.json field the forward pass reads as a <c>phi3small.*</c> key.
/// </summary>
internal static class Phi3SmallGguf
{
    public const string Architecture = "phi3small";
    public const string Prefix = Architecture + ".";

    public static GgufConversion Conversion(Phi3SmallConfig c)
    {
        Phi3SmallTensorNames from = Phi3SmallTensorNames.HuggingFace, to = Phi3SmallTensorNames.Gguf;
        var tensors = new List<(string, string)>
        {
            (to.Embedding + ".weight", from.Embedding + ".weight"),
            (to.FinalNorm + ".weight", from.FinalNorm + ".weight"),
            (to.FinalNorm + ".bias", from.FinalNorm + ".bias"),
        };
        for (int i = 0; i < c.LayerCount; i++)
            foreach (var role in (Func<Phi3SmallTensorNames, string>[])[n => n.AttentionNorm, n => n.Qkv, n => n.AttentionOutput, n => n.FeedForwardNorm, n => n.Up, n => n.Down])
                foreach (string part in (string[])[".weight", ".bias"])
                    tensors.Add((string.Format(role(to), i) + part, string.Format(role(from), i) + part));
        var computed = c.LongRope is { } rope
            ? new List<(string, float[])> { ("rope_factors_long.weight", rope.LongFactor), ("rope_factors_short.weight", rope.ShortFactor) }
            : [];
        return new GgufConversion
        {
            LayerCount = c.LayerCount, VocabSize = c.VocabSize, Tensors = tensors, ComputedTensors = computed,
            WriteMetadata = (writer, name, fileType) => WriteMetadata(writer, c, name, fileType),
        };
    }

    static void WriteMetadata(GgufWriter writer, Phi3SmallConfig c, string name, uint fileType)
    {
        const string a = Prefix;
        GgufConversion.WriteIdentity(writer, Architecture, name, c.MaxPositions);
        GgufConversion.WriteSizes(writer, Architecture, c.HiddenSize, c.IntermediateSize, c.LayerCount, c.HeadCount, c.KeyValueHeadCount);
        writer.AddMetadata(a + "attention.layer_norm_epsilon", c.LayerNormEpsilon);
        writer.AddMetadata(a + "rope.freq_base", c.RopeBase);
        writer.AddMetadata(a + "rope.position_scale", c.RopePositionScale);
        if (c.LongRope is { } rope)
        {
            writer.AddMetadata(a + "rope.scaling.original_context_length", (uint)rope.OriginalMaxPositions);
            writer.AddMetadata(a + "rope.scaling.short_mscale", rope.ShortMscale);
            writer.AddMetadata(a + "rope.scaling.long_mscale", rope.LongMscale);
        }
        writer.AddMetadata(a + "gegelu_limit", c.GegeluLimit);
        writer.AddMetadata(a + "attention.dense_every_n_layers", (uint)c.DenseAttentionEveryNLayers);
        writer.AddMetadata(a + "attention.block_sparse.block_size", (uint)c.BlockSize);
        writer.AddMetadata(a + "attention.block_sparse.local_blocks", (uint)c.LocalBlocks);
        writer.AddMetadata(a + "attention.block_sparse.vertical_stride", (uint)c.VerticalStride);
        writer.AddMetadata(a + "attention.block_sparse.same_pattern_for_all_heads", c.SamePatternForAllHeads);
        writer.AddMetadata(a + "mup.embedding_multiplier", c.MupEmbeddingMultiplier);
        writer.AddMetadata(a + "mup.width_multiplier", c.MupWidthMultiplier);
        writer.AddMetadata(a + "mup.attention_multiplier", c.MupAttentionMultiplier);
        writer.AddMetadata(a + "mup.use_scaling", c.MupUseScaling);
        writer.AddArray<int>(a + "dummy_token_ids", c.DummyTokenIds);
        writer.AddMetadata("general.file_type", fileType);
    }
}
