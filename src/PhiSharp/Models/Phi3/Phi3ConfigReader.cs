using PhiSharp.Formats.HuggingFace;
using PhiSharp.Formats.Gguf;

namespace PhiSharp.Models.Phi3;

/// <summary>Builds a <see cref="Phi3Config"/> from a Hugging Face config.json or from GGUF metadata.</summary>
public static class Phi3ConfigReader
{
    /// <summary>Reads config.json as transformers writes it: 4.x keeps <c>rope_theta</c>/<c>rope_scaling</c> at the top
    /// level, 5.x nests them in <c>rope_parameters</c>. Both are accepted.</summary>
    public static Phi3Config FromHuggingFace(HfJsonObject config)
    {
        static double? Double(HfJsonObject? o, string name) => o is not null && o.TryGetDouble(name, out double v) ? v : null;
        static int? Int(HfJsonObject? o, string name) => o is not null && o.TryGetInt(name, out int v) ? v : null;

        int hidden = config.GetInt("hidden_size");
        int heads = config.GetInt("num_attention_heads");
        int maxPositions = config.GetPositiveInt("max_position_embeddings");
        HfJsonObject? rope = config.TryGetObject("rope_parameters", out var p) ? p
            : config.TryGetObject("rope_scaling", out var r) ? r : null;
        double theta = Double(rope, "rope_theta") ?? Double(config, "rope_theta") ?? 10000.0;
        double partial = Double(rope, "partial_rotary_factor") ?? Double(config, "partial_rotary_factor") ?? 1.0;
        int headDim = hidden / Math.Max(heads, 1);

        LongRopeScaling? longRope = null;
        string ropeType = rope is null ? "default"
            : rope.TryGetString("rope_type", out string t1) ? t1
            : rope.TryGetString("type", out string t2) ? t2 : "default";
        switch (ropeType)
        {
            case "default":
                break;
            case "longrope" or "su":
                int original = Int(config, "original_max_position_embeddings") ?? Int(rope, "original_max_position_embeddings")
                    ?? throw config.Error("original_max_position_embeddings", "is missing; LongRoPE needs it");
                float attention = (float?)Double(rope, "attention_factor") ?? LongRopeScaling.DefaultAttentionFactor(maxPositions, original);
                longRope = new LongRopeScaling(Floats(rope!, "short_factor"), Floats(rope!, "long_factor"), original, attention);
                break;
            default:
                throw new UnsupportedModelException(config.FilePath, $"rope type '{ropeType}' is not supported for Phi-3 (default and longrope are)");
        }

        return new Phi3Config
        {
            HiddenSize = hidden,
            IntermediateSize = config.GetInt("intermediate_size"),
            LayerCount = config.GetInt("num_hidden_layers"),
            HeadCount = heads,
            KeyValueHeadCount = Int(config, "num_key_value_heads") ?? heads,
            VocabSize = config.GetInt("vocab_size"),
            RmsNormEpsilon = (float)(Double(config, "rms_norm_eps") ?? 1e-5),
            RopeTheta = (float)theta,
            MaxPositions = maxPositions,
            RotaryDim = (int)(headDim * partial),
            SlidingWindow = Int(config, "sliding_window"),
            LongRope = longRope,
            TiedEmbeddings = config.TryGetBool("tie_word_embeddings", out bool tied) && tied,
        };
    }

    static float[] Floats(HfJsonObject o, string name) => o.GetDoubleArray(name).Select(v => (float)v).ToArray();

    /// <summary>Reads llama.cpp's <c>phi3.*</c> keys; LongRoPE factors come from the rope_factors_* tensors.</summary>
    internal static Phi3Config FromGguf(GgufFile gguf)
    {
        const string a = "phi3.";
        int hidden = gguf.GetInt32(a + "embedding_length");
        int heads = gguf.GetInt32(a + "attention.head_count");
        int maxPositions = gguf.GetPositiveInt32(a + "context_length");
        int rotaryDim = gguf.TryGetInt32(a + "rope.dimension_count", out int d) ? d : hidden / Math.Max(heads, 1);
        if (!gguf.TryGetTensorInfo("token_embd.weight", out var embedding))
            throw new ModelFormatException(gguf.Path, "missing tensor 'token_embd.weight'");
        if (embedding.Dims.Count != 2)
            throw new ModelFormatException(gguf.Path, $"tensor 'token_embd.weight' has {embedding.Dims.Count} dimensions, expected 2");
        int vocab = (int)embedding.Dims[1];

        LongRopeScaling? longRope = null;
        if (gguf.TensorNames.Contains("rope_factors_long.weight"))
        {
            int original = gguf.TryGetInt32(a + "rope.scaling.original_context_length", out int o) ? o
                : throw new ModelFormatException(gguf.Path, "LongRoPE factors without 'phi3.rope.scaling.original_context_length'");
            float attention = gguf.TryGetFloat32(a + "rope.scaling.attn_factor", out float f) ? f
                : LongRopeScaling.DefaultAttentionFactor(maxPositions, original);
            longRope = new LongRopeScaling(
                WeightBinding.Vector(gguf, "rope_factors_short.weight", rotaryDim / 2),
                WeightBinding.Vector(gguf, "rope_factors_long.weight", rotaryDim / 2),
                original, attention);
        }

        return new Phi3Config
        {
            HiddenSize = hidden,
            IntermediateSize = gguf.GetInt32(a + "feed_forward_length"),
            LayerCount = gguf.GetInt32(a + "block_count"),
            HeadCount = heads,
            KeyValueHeadCount = gguf.TryGetInt32(a + "attention.head_count_kv", out int kv) ? kv : heads,
            VocabSize = vocab,
            RmsNormEpsilon = gguf.GetFloat32(a + "attention.layer_norm_rms_epsilon"),
            RopeTheta = gguf.TryGetFloat32(a + "rope.freq_base", out float theta) ? theta : 10000f,
            MaxPositions = maxPositions,
            RotaryDim = rotaryDim,
            SlidingWindow = gguf.TryGetInt32(a + "attention.sliding_window", out int w) && w > 0 ? w : null,
            LongRope = longRope,
            TiedEmbeddings = !gguf.TensorNames.Contains("output.weight"),
        };
    }
}
