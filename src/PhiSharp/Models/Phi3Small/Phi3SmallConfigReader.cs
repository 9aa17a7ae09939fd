using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;

namespace PhiSharp.Models.Phi3Small;

/// <summary>Builds a <see cref="Phi3SmallConfig"/> from config.json (with configuration_phi3_small.py's defaults for
/// fields the file leaves out) or from the <c>phi3small.*</c> GGUF keys (docs/PHI3SMALL_GGUF.md).</summary>
public static class Phi3SmallConfigReader
{
    /// <summary>The released vocabulary (cl100k_base's 100256 ranks plus Phi-3-small's specials, padded).</summary>
    public const int ReleasedVocabSize = 100352;

    public static Phi3SmallConfig FromHuggingFace(HfJsonObject config)
    {
        double Double(string name, double fallback) => config.TryGetDouble(name, out double v) ? v : fallback;
        int Int(string name, int fallback) => config.TryGetInt(name, out int v) ? v : fallback;
        bool Bool(string name, bool fallback) => config.TryGetBool(name, out bool v) ? v : fallback;

        int hidden = config.GetInt("hidden_size");
        int heads = Int("num_attention_heads", 32);
        int vocab = Int("vocab_size", ReleasedVocabSize);
        int maxPositions = config.TryGetInt("max_position_embeddings", out _) ? config.GetPositiveInt("max_position_embeddings") : 8192;

        string act = config.TryGetString("hidden_act", out string a) ? a : "gegelu";
        if (act != "gegelu")
            throw new UnsupportedModelException(config.FilePath, $"Phi-3-small activation '{act}' is not supported (only gegelu is)");

        return new Phi3SmallConfig
        {
            HiddenSize = hidden,
            IntermediateSize = IntermediateSize(config, hidden),
            LayerCount = Int("num_hidden_layers", 32),
            HeadCount = heads,
            KeyValueHeadCount = Int("num_key_value_heads", 8),
            VocabSize = vocab,
            MaxPositions = maxPositions,
            LayerNormEpsilon = (float)Double("layer_norm_epsilon", 1e-5),
            RopeBase = (float)Double("rope_embedding_base", 1e6),
            RopePositionScale = (float)Double("rope_position_scale", 1.0),
            LongRope = config.TryGetObject("rope_scaling", out var rope) ? LongRope(rope) : null,
            GegeluLimit = config.TryGetDouble("gegelu_limit", out double limit) ? (float)limit : float.PositiveInfinity,
            DenseAttentionEveryNLayers = Int("dense_attention_every_n_layers", 2),
            BlockSize = Int("blocksparse_block_size", 64),
            LocalBlocks = Int("blocksparse_num_local_blocks", 16),
            VerticalStride = Int("blocksparse_vert_stride", 8),
            SamePatternForAllHeads = Bool("blocksparse_homo_head_pattern", false),
            MupEmbeddingMultiplier = (float)Double("mup_embedding_multiplier", 10.0),
            MupWidthMultiplier = (float)Double("mup_width_multiplier", 8.0),
            MupAttentionMultiplier = (float)Double("mup_attn_multiplier", 1.0),
            MupUseScaling = Bool("mup_use_scaling", true),
            DummyTokenIds = config.TryGetIntArray("dummy_token_indices", out int[] ids) ? ids
                : vocab == ReleasedVocabSize ? Phi3SmallSpecialTokens.DummyTokenIds
                : throw config.Error("dummy_token_indices", $"is missing, and vocab_size {vocab} is not the released {ReleasedVocabSize} whose dummy ids are known"),
        };
    }

    // ff_intermediate_size, or ff_dim_multiplier · (hidden / 3) · 2 rounded up to 256 (gegelu_pad_to_256).
    static int IntermediateSize(HfJsonObject config, int hidden)
    {
        if (config.TryGetInt("ff_intermediate_size", out int size)) return size;
        if (!config.TryGetInt("ff_dim_multiplier", out int multiplier))
            return 14336;
        int raw = multiplier * (hidden / 3) * 2;
        bool pad = !config.TryGetBool("gegelu_pad_to_256", out bool p) || p;
        return pad ? (raw + 255) / 256 * 256 : raw;
    }

    static Phi3SmallLongRope LongRope(HfJsonObject rope)
    {
        string type = rope.TryGetString("type", out string t) ? t : "longrope";
        if (type is not ("longrope" or "su"))
            throw rope.Error("type", $"is '{type}'; Phi-3-small's rotary takes longrope / su scaling only");
        int original = rope.GetPositiveInt("original_max_position_embeddings");
        // An mscale ≤ 0 (the default −1) means: 1 for short, sqrt(1 + ln(s) / ln(original)) for long, s = max / original.
        float shortMscale = rope.TryGetDouble("short_mscale", out double s) ? (float)s : -1f;
        float longMscale = rope.TryGetDouble("long_mscale", out double l) ? (float)l : -1f;
        return new Phi3SmallLongRope(Floats(rope, "short_factor"), Floats(rope, "long_factor"), original, shortMscale, longMscale);
    }

    static float[] Floats(HfJsonObject o, string name) => o.GetDoubleArray(name).Select(v => (float)v).ToArray();

    /// <summary>Reads PhiSharp's <c>phi3small</c> GGUF metadata; LongRoPE factors come from the rope_factors_* tensors.</summary>
    internal static Phi3SmallConfig FromGguf(GgufFile gguf)
    {
        const string a = Phi3SmallGguf.Prefix;
        int hidden = gguf.GetInt32(a + "embedding_length");
        int heads = gguf.GetInt32(a + "attention.head_count");
        int maxPositions = gguf.GetPositiveInt32(a + "context_length");
        if (!gguf.TryGetTensorInfo("token_embd.weight", out var embedding) || embedding.Dims.Count != 2)
            throw new ModelFormatException(gguf.Path, "tensor 'token_embd.weight' is missing or not a matrix");
        Phi3SmallLongRope? longRope = null;
        if (gguf.TensorNames.Contains("rope_factors_long.weight"))
            longRope = new Phi3SmallLongRope(
                WeightBinding.Vector(gguf, "rope_factors_short.weight", hidden / heads / 2),
                WeightBinding.Vector(gguf, "rope_factors_long.weight", hidden / heads / 2),
                gguf.GetInt32(a + "rope.scaling.original_context_length"),
                gguf.GetFloat32(a + "rope.scaling.short_mscale"), gguf.GetFloat32(a + "rope.scaling.long_mscale"));
        return new Phi3SmallConfig
        {
            HiddenSize = hidden,
            IntermediateSize = gguf.GetInt32(a + "feed_forward_length"),
            LayerCount = gguf.GetInt32(a + "block_count"),
            HeadCount = heads,
            KeyValueHeadCount = gguf.GetInt32(a + "attention.head_count_kv"),
            VocabSize = (int)embedding.Dims[1],
            MaxPositions = maxPositions,
            LayerNormEpsilon = gguf.GetFloat32(a + "attention.layer_norm_epsilon"),
            RopeBase = gguf.GetFloat32(a + "rope.freq_base"),
            RopePositionScale = gguf.GetFloat32(a + "rope.position_scale"),
            LongRope = longRope,
            GegeluLimit = gguf.GetFloat32(a + "gegelu_limit"),
            DenseAttentionEveryNLayers = gguf.GetInt32(a + "attention.dense_every_n_layers"),
            BlockSize = gguf.GetInt32(a + "attention.block_sparse.block_size"),
            LocalBlocks = gguf.GetInt32(a + "attention.block_sparse.local_blocks"),
            VerticalStride = gguf.GetInt32(a + "attention.block_sparse.vertical_stride"),
            SamePatternForAllHeads = gguf.GetBool(a + "attention.block_sparse.same_pattern_for_all_heads"),
            MupEmbeddingMultiplier = gguf.GetFloat32(a + "mup.embedding_multiplier"),
            MupWidthMultiplier = gguf.GetFloat32(a + "mup.width_multiplier"),
            MupAttentionMultiplier = gguf.GetFloat32(a + "mup.attention_multiplier"),
            MupUseScaling = gguf.GetBool(a + "mup.use_scaling"),
            DummyTokenIds = gguf.GetInt32Array(a + "dummy_token_ids"),
        };
    }
}
