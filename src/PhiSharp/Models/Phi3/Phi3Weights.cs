using PhiSharp.Formats;
using PhiSharp.Kernels;
using PhiSharp.Tensors;

namespace PhiSharp.Models.Phi3;

/// <summary>Tensor names of one file layout: llama.cpp's GGUF names or Hugging Face's. {0} is the layer index.</summary>
public sealed record Phi3TensorNames(string Embedding, string OutputNorm, string Output, string AttentionNorm, string Qkv,
    string AttentionOutput, string FeedForwardNorm, string GateUp, string Down)
{
    public static readonly Phi3TensorNames Gguf = new("token_embd.weight", "output_norm.weight", "output.weight",
        "blk.{0}.attn_norm.weight", "blk.{0}.attn_qkv.weight", "blk.{0}.attn_output.weight", "blk.{0}.ffn_norm.weight",
        "blk.{0}.ffn_up.weight", "blk.{0}.ffn_down.weight");

    public static readonly Phi3TensorNames HuggingFace = new("model.embed_tokens.weight", "model.norm.weight", "lm_head.weight",
        "model.layers.{0}.input_layernorm.weight", "model.layers.{0}.self_attn.qkv_proj.weight",
        "model.layers.{0}.self_attn.o_proj.weight", "model.layers.{0}.post_attention_layernorm.weight",
        "model.layers.{0}.mlp.gate_up_proj.weight", "model.layers.{0}.mlp.down_proj.weight");
}

internal sealed class Phi3LayerWeights
{
    public required float[] AttentionNorm { get; init; }
    public required WeightTensor Qkv { get; init; }
    public required WeightTensor AttentionOutput { get; init; }
    public required float[] FeedForwardNorm { get; init; }
    /// <summary>Gate rows first, then up rows (2 × intermediate).</summary>
    public required WeightTensor GateUp { get; init; }
    public required WeightTensor Down { get; init; }
}

/// <summary>The tensors of a Phi-3 network, found by name and checked against the configuration's shapes.</summary>
internal sealed class Phi3Weights
{
    public required WeightTensor Embedding { get; init; }
    public required float[] OutputNorm { get; init; }
    public required WeightTensor Output { get; init; }
    public required Phi3LayerWeights[] Layers { get; init; }

    public static Phi3Weights Bind(ITensorSource source, Phi3Config config, Phi3TensorNames names)
    {
        int hidden = config.HiddenSize;
        var layers = new Phi3LayerWeights[config.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string Name(string format) => string.Format(format, i);
            layers[i] = new Phi3LayerWeights
            {
                AttentionNorm = WeightBinding.Vector(source, Name(names.AttentionNorm), hidden),
                Qkv = WeightBinding.MatMulWeight(source, Name(names.Qkv), hidden, config.QkvDim),
                AttentionOutput = WeightBinding.MatMulWeight(source, Name(names.AttentionOutput), config.HeadCount * config.HeadDim, hidden),
                FeedForwardNorm = WeightBinding.Vector(source, Name(names.FeedForwardNorm), hidden),
                GateUp = WeightBinding.MatMulWeight(source, Name(names.GateUp), hidden, 2 * config.IntermediateSize),
                Down = WeightBinding.MatMulWeight(source, Name(names.Down), config.IntermediateSize, hidden),
            };
        }
        var embedding = WeightBinding.Matrix(source, names.Embedding, hidden, config.VocabSize);
        bool tied = config.TiedEmbeddings || !source.TensorNames.Contains(names.Output);
        return new Phi3Weights
        {
            Embedding = embedding,
            OutputNorm = WeightBinding.Vector(source, names.OutputNorm, hidden),
            Output = tied ? embedding : WeightBinding.MatMulWeight(source, names.Output, hidden, config.VocabSize),
            Layers = layers,
        };
    }
}
