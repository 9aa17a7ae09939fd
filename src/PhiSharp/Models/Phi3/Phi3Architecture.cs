using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Phi3;

/// <summary>Phi3ForCausalLM, GGUF "phi3": Phi-3 mini/medium, Phi-3.5-mini, Phi-4, Phi-4-mini and the reasoning models.</summary>
internal sealed class Phi3Architecture : ModelArchitecture
{
    public override IReadOnlyList<string> GgufNames => ["phi3"];
    public override IReadOnlyList<string> HfArchitectures => ["Phi3ForCausalLM"];
    public override bool ConvertsToGguf => true;

    public override DecoderNetwork FromGguf(GgufFile gguf, LoadOptions options) =>
        new Phi3Network(gguf, Phi3ConfigReader.FromGguf(gguf), Phi3TensorNames.Gguf, options.IgnoreSlidingWindow);

    public override DecoderNetwork FromHuggingFace(HfModelConfig config, ITensorSource weights, LoadOptions options) =>
        new Phi3Network(weights, Phi3ConfigReader.FromHuggingFace(config), Phi3TensorNames.HuggingFace, options.IgnoreSlidingWindow);

    /// <summary>As convert_hf_to_gguf.py converts Phi-3: tensors under llama.cpp's names, the LongRoPE factors as
    /// rope_factors_short/long.weight, and the <c>phi3.*</c> keys <see cref="Phi3ConfigReader.FromGguf"/> reads back.</summary>
    public override GgufConversion ToGguf(HfModelConfig hf)
    {
        var c = Phi3ConfigReader.FromHuggingFace(hf);
        c.Validate(hf.FilePath);
        Phi3TensorNames from = Phi3TensorNames.HuggingFace, to = Phi3TensorNames.Gguf;
        var tensors = new List<(string, string)> { (to.Embedding, from.Embedding), (to.OutputNorm, from.OutputNorm) };
        if (!c.TiedEmbeddings) tensors.Add((to.Output, from.Output));
        for (int i = 0; i < c.LayerCount; i++)
        {
            void Add(string gguf, string hf) => tensors.Add((string.Format(gguf, i), string.Format(hf, i)));
            Add(to.AttentionNorm, from.AttentionNorm);
            Add(to.Qkv, from.Qkv);
            Add(to.AttentionOutput, from.AttentionOutput);
            Add(to.FeedForwardNorm, from.FeedForwardNorm);
            Add(to.GateUp, from.GateUp);
            Add(to.Down, from.Down);
        }
        var computed = c.LongRope is { } rope
            ? new List<(string, float[])> { ("rope_factors_long.weight", rope.LongFactor), ("rope_factors_short.weight", rope.ShortFactor) }
            : [];
        return new GgufConversion
        {
            LayerCount = c.LayerCount, VocabSize = c.VocabSize, Tensors = tensors, ComputedTensors = computed,
            WriteMetadata = (writer, name, fileType) => WriteMetadata(writer, c, name, fileType),
        };
    }

    static void WriteMetadata(GgufWriter writer, Phi3Config c, string name, uint fileType)
    {
        const string a = "phi3.";
        GgufConversion.WriteIdentity(writer, "phi3", name, c.MaxPositions);
        writer.AddMetadata(a + "rope.scaling.original_context_length", (uint)(c.LongRope?.OriginalMaxPositions ?? c.MaxPositions));
        GgufConversion.WriteSizes(writer, "phi3", c.HiddenSize, c.IntermediateSize, c.LayerCount, c.HeadCount, c.KeyValueHeadCount);
        writer.AddMetadata(a + "attention.layer_norm_rms_epsilon", c.RmsNormEpsilon);
        writer.AddMetadata(a + "rope.dimension_count", (uint)c.RotaryDim);
        writer.AddMetadata(a + "rope.freq_base", c.RopeTheta);
        writer.AddMetadata("general.file_type", fileType);
        writer.AddMetadata(a + "attention.sliding_window", (uint)(c.SlidingWindow ?? 0));
        if (c.LongRope is { } rope) writer.AddMetadata(a + "rope.scaling.attn_factor", rope.AttentionFactor);
    }
}
