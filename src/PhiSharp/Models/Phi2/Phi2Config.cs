using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;

namespace PhiSharp.Models.Phi2;

/// <summary>The hyper-parameters of a Phi-2 / Phi-1.5 decoder (PhiForCausalLM; GGUF arch "phi2").</summary>
public sealed record Phi2Config
{
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int LayerCount { get; init; }
    public required int HeadCount { get; init; }
    public required int KeyValueHeadCount { get; init; }
    public required int VocabSize { get; init; }
    public required float LayerNormEpsilon { get; init; }
    public required float RopeTheta { get; init; }
    public required int MaxPositions { get; init; }

    /// <summary>Leading dimensions of each head that are rotated: partial_rotary_factor (0.4) × head_dim, 32 of 80 in Phi-2.</summary>
    public required int RotaryDim { get; init; }

    /// <summary>LayerNorm on each query and key head before rotation (HF qk_layernorm; off in released Phi-2).</summary>
    public bool QkLayerNorm { get; init; }

    public int HeadDim => HiddenSize / HeadCount;
    public int KeyValueDim => KeyValueHeadCount * HeadDim;

    public void Validate(string source)
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ModelFormatException(source, $"invalid Phi-2 configuration: {what}");
        }
        Require(HiddenSize > 0 && IntermediateSize > 0 && LayerCount > 0 && VocabSize > 0 && MaxPositions > 0, "sizes must be positive");
        Require(HeadCount > 0 && HiddenSize % HeadCount == 0, $"hidden size {HiddenSize} is not a multiple of {HeadCount} heads");
        Require(KeyValueHeadCount > 0 && HeadCount % KeyValueHeadCount == 0,
            $"{HeadCount} attention heads are not a multiple of {KeyValueHeadCount} key/value heads");
        Require(RotaryDim > 0 && RotaryDim <= HeadDim && RotaryDim % 2 == 0, $"rotary dimension {RotaryDim} does not fit head dimension {HeadDim}");
    }

    /// <summary>Reads a PhiForCausalLM config.json.</summary>
    public static Phi2Config FromHuggingFace(HfJsonObject config)
    {
        string activation = config.TryGetString("hidden_act", out string act) ? act : "gelu_new";
        if (activation is not ("gelu_new" or "gelu_pytorch_tanh"))
            throw new UnsupportedModelException(config.FilePath, $"hidden_act '{activation}' is not supported for Phi-2 (gelu_new is)");
        if (config.Contains("rope_scaling"))
            throw new UnsupportedModelException(config.FilePath, "rope_scaling is not supported for Phi-2");
        int hidden = config.GetInt("hidden_size");
        int heads = config.GetInt("num_attention_heads");
        double partial = config.TryGetDouble("partial_rotary_factor", out double p) ? p : 0.5;
        return new Phi2Config
        {
            HiddenSize = hidden,
            IntermediateSize = config.GetInt("intermediate_size"),
            LayerCount = config.GetInt("num_hidden_layers"),
            HeadCount = heads,
            KeyValueHeadCount = config.TryGetInt("num_key_value_heads", out int kv) ? kv : heads,
            VocabSize = config.GetInt("vocab_size"),
            LayerNormEpsilon = (float)(config.TryGetDouble("layer_norm_eps", out double eps) ? eps : 1e-5),
            RopeTheta = (float)(config.TryGetDouble("rope_theta", out double theta) ? theta : 10000.0),
            MaxPositions = config.GetPositiveInt("max_position_embeddings"),
            RotaryDim = (int)(hidden / Math.Max(heads, 1) * partial),
            QkLayerNorm = config.TryGetBool("qk_layernorm", out bool qk) && qk,
        };
    }

    /// <summary>Reads llama.cpp's <c>phi2.*</c> keys.</summary>
    internal static Phi2Config FromGguf(GgufFile gguf)
    {
        const string a = "phi2.";
        int hidden = gguf.GetInt32(a + "embedding_length");
        int heads = gguf.GetInt32(a + "attention.head_count");
        if (!gguf.TryGetTensorInfo("token_embd.weight", out var embedding) || embedding.Dims.Count != 2)
            throw new ModelFormatException(gguf.Path, "missing or malformed tensor 'token_embd.weight'");
        return new Phi2Config
        {
            HiddenSize = hidden,
            IntermediateSize = gguf.GetInt32(a + "feed_forward_length"),
            LayerCount = gguf.GetInt32(a + "block_count"),
            HeadCount = heads,
            KeyValueHeadCount = gguf.TryGetInt32(a + "attention.head_count_kv", out int kv) ? kv : heads,
            VocabSize = (int)embedding.Dims[1],
            LayerNormEpsilon = gguf.GetFloat32(a + "attention.layer_norm_epsilon"),
            RopeTheta = gguf.TryGetFloat32(a + "rope.freq_base", out float theta) ? theta : 10000f,
            MaxPositions = gguf.GetPositiveInt32(a + "context_length"),
            RotaryDim = gguf.TryGetInt32(a + "rope.dimension_count", out int d) ? d : hidden / Math.Max(heads, 1) / 2,
        };
    }
}
