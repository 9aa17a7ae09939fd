using PhiSharp.Formats;
using PhiSharp.Models.Decoder;
using PhiSharp.Tensors;

namespace PhiSharp.Models.Phi3Small;

/// <summary>Tensor name prefixes (".weight" / ".bias" follow) of one file layout; {0} is the layer index.</summary>
public sealed record Phi3SmallTensorNames(string Embedding, string FinalNorm, string Output, string AttentionNorm,
    string Qkv, string AttentionOutput, string FeedForwardNorm, string Up, string Down)
{
    public static readonly Phi3SmallTensorNames HuggingFace = new("model.embed_tokens", "model.final_layernorm", "lm_head",
        "model.layers.{0}.input_layernorm", "model.layers.{0}.self_attn.query_key_value", "model.layers.{0}.self_attn.dense",
        "model.layers.{0}.post_attention_layernorm", "model.layers.{0}.mlp.up_proj", "model.layers.{0}.mlp.down_proj");

    /// <summary>PhiSharp's <c>phi3small</c> GGUF layout (docs/PHI3SMALL_GGUF.md): llama.cpp's names for the same roles.</summary>
    public static readonly Phi3SmallTensorNames Gguf = new("token_embd", "output_norm", "output", "blk.{0}.attn_norm",
        "blk.{0}.attn_qkv", "blk.{0}.attn_output", "blk.{0}.ffn_norm", "blk.{0}.ffn_up", "blk.{0}.ffn_down");
}

internal sealed class Phi3SmallLayerWeights
{
    public required LayerNormWeights AttentionNorm { get; init; }
    /// <summary>query_key_value: per KV group, its query heads, then its key head, then its value head.</summary>
    public required Projection Qkv { get; init; }
    public required Projection AttentionOutput { get; init; }
    public required LayerNormWeights FeedForwardNorm { get; init; }
    /// <summary>up_proj: 2 × intermediate rows, gate and linear rows interleaved (even, odd).</summary>
    public required Projection Up { get; init; }
    public required Projection Down { get; init; }
}

/// <summary>The tensors of a Phi-3-small network, found by name and checked against the configuration's shapes.</summary>
internal sealed class Phi3SmallWeights
{
    public required WeightTensor Embedding { get; init; }
    public required LayerNormWeights FinalNorm { get; init; }
    /// <summary>The output matrix: the embedding itself unless the file holds its own.</summary>
    public required WeightTensor Output { get; init; }
    public required Phi3SmallLayerWeights[] Layers { get; init; }

    public static Phi3SmallWeights Bind(ITensorSource source, Phi3SmallConfig c, Phi3SmallTensorNames names)
    {
        int hidden = c.HiddenSize, ff = c.IntermediateSize;
        var layers = new Phi3SmallLayerWeights[c.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string Name(string format) => string.Format(format, i);
            layers[i] = new Phi3SmallLayerWeights
            {
                AttentionNorm = Norm(source, Name(names.AttentionNorm), hidden),
                Qkv = Linear(source, Name(names.Qkv), hidden, c.QkvDim),
                AttentionOutput = Linear(source, Name(names.AttentionOutput), hidden, hidden),
                FeedForwardNorm = Norm(source, Name(names.FeedForwardNorm), hidden),
                Up = Linear(source, Name(names.Up), hidden, 2 * ff),
                Down = Linear(source, Name(names.Down), ff, hidden),
            };
        }
        var embedding = WeightBinding.Matrix(source, names.Embedding + ".weight", hidden, c.VocabSize);
        bool ownOutput = source.TensorNames.Contains(names.Output + ".weight");
        return new Phi3SmallWeights
        {
            Embedding = embedding,
            FinalNorm = Norm(source, names.FinalNorm, hidden),
            Output = ownOutput ? WeightBinding.MatMulWeight(source, names.Output + ".weight", hidden, c.VocabSize) : embedding,
            Layers = layers,
        };
    }

    static Projection Linear(ITensorSource source, string prefix, int inputs, int outputs) =>
        new(WeightBinding.MatMulWeight(source, prefix + ".weight", inputs, outputs), WeightBinding.Vector(source, prefix + ".bias", outputs));

    static LayerNormWeights Norm(ITensorSource source, string prefix, int length) =>
        new(WeightBinding.Vector(source, prefix + ".weight", length), WeightBinding.Vector(source, prefix + ".bias", length));
}
