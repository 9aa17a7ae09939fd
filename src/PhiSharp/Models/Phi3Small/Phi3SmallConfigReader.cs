using PhiSharp.Formats.HuggingFace;

namespace PhiSharp.Models.Phi3Small;

/// <summary>Builds a <see cref="Phi3SmallConfig"/> from config.json, with configuration_phi3_small.py's defaults for
/// fields the file leaves out.</summary>
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
}
