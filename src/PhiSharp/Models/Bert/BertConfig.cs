using PhiSharp.Formats.Gguf;

namespace PhiSharp.Models.Bert;

/// <summary>The BERT-family encoders supported: classic BERT (bge, MiniLM) and Nomic BERT (nomic-embed-text).</summary>
public enum BertArchitecture
{
    /// <summary>Learned absolute positions, biased q/k/v, GELU (erf) MLP.</summary>
    Bert,

    /// <summary>Rotary positions (rotate-half), fused unbiased qkv, SwiGLU MLP, no biases in the projections.</summary>
    NomicBert,
}

/// <summary>How token states become one sentence vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>The final state of the first token, [CLS] (bge).</summary>
    Cls,

    /// <summary>The mean of every token's final state, [CLS] and [SEP] included (MiniLM, nomic-embed).</summary>
    Mean,
}

/// <summary>The shape of a BERT-family encoder. Every layer is post-LayerNorm: x = LN(x + attn(x)); x = LN(x + mlp(x)).</summary>
public sealed record BertConfig
{
    public required BertArchitecture Architecture { get; init; }
    public required int HiddenSize { get; init; }
    public required int HeadCount { get; init; }
    public required int LayerCount { get; init; }
    public required int IntermediateSize { get; init; }
    public required int VocabSize { get; init; }
    /// <summary>Longest input in tokens: the position table's length (BERT) or the trained context (Nomic BERT).</summary>
    public required int MaxPositions { get; init; }
    public required float LayerNormEpsilon { get; init; }
    public required EmbeddingPooling Pooling { get; init; }
    /// <summary>Rotary base (Nomic BERT only).</summary>
    public float RopeTheta { get; init; } = 1000f;

    public int HeadDim => HiddenSize / HeadCount;

    public void Validate(string source)
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ModelFormatException(source, $"invalid BERT configuration: {what}");
        }
        Require(HiddenSize > 0 && IntermediateSize > 0 && LayerCount > 0 && VocabSize > 0 && MaxPositions > 1, "sizes must be positive");
        Require(HeadCount > 0 && HiddenSize % HeadCount == 0, $"hidden size {HiddenSize} is not a multiple of {HeadCount} heads");
        Require(Architecture != BertArchitecture.NomicBert || HeadDim % 2 == 0, $"rotary heads need an even head dimension, not {HeadDim}");
        Require(LayerNormEpsilon > 0 && float.IsFinite(LayerNormEpsilon), $"layer_norm_epsilon {LayerNormEpsilon} must be positive");
    }

    /// <summary>llama.cpp's keys for "bert" and "nomic-bert" (pooling_type 1 = mean, 2 = CLS).</summary>
    internal static BertConfig FromGguf(GgufFile gguf)
    {
        string arch = gguf.GetString("general.architecture");
        var architecture = arch switch
        {
            "bert" => BertArchitecture.Bert,
            "nomic-bert" => BertArchitecture.NomicBert,
            _ => throw new UnsupportedModelException(gguf.Path, $"architecture '{arch}' is not an embedding model (supported: bert, nomic-bert)"),
        };
        int Int(string key) => checked((int)gguf.GetUInt32(arch + "." + key));
        uint pooling = gguf.TryGetUInt32(arch + ".pooling_type", out uint p) ? p
            : throw new ModelFormatException(gguf.Path, $"missing {arch}.pooling_type (1 = mean, 2 = CLS)");
        return new BertConfig
        {
            Architecture = architecture,
            HiddenSize = Int("embedding_length"),
            HeadCount = Int("attention.head_count"),
            LayerCount = Int("block_count"),
            IntermediateSize = Int("feed_forward_length"),
            VocabSize = gguf.GetStringArray("tokenizer.ggml.tokens").Length,
            MaxPositions = gguf.GetPositiveInt32(arch + ".context_length"),
            LayerNormEpsilon = gguf.GetFloat32(arch + ".attention.layer_norm_epsilon"),
            Pooling = pooling switch
            {
                1 => EmbeddingPooling.Mean,
                2 => EmbeddingPooling.Cls,
                _ => throw new UnsupportedModelException(gguf.Path, $"{arch}.pooling_type {pooling} is not supported (supported: 1 = mean, 2 = CLS)"),
            },
            RopeTheta = gguf.TryGetFloat32(arch + ".rope.freq_base", out float theta) ? theta : 1000f,
        };
    }
}
