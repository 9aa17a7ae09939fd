using PhiSharp.Formats;
using PhiSharp.Models.Decoder;
using PhiSharp.Tensors;

namespace PhiSharp.Models.Phi2;

internal sealed class Phi2LayerWeights
{
    public required LayerNormWeights Norm { get; init; }
    public required Projection Query { get; init; }
    public required Projection Key { get; init; }
    public required Projection Value { get; init; }
    public LayerNormWeights? QueryNorm { get; init; }
    public LayerNormWeights? KeyNorm { get; init; }
    public required Projection Output { get; init; }
    public required Projection Up { get; init; }
    public required Projection Down { get; init; }
}

/// <summary>
/// Phi-2's tensors under HF names (separate q/k/v) or llama.cpp's (q/k/v fused into attn_qkv, or separate in
/// some converters); a fused projection is split into row ranges without copying.
/// </summary>
internal sealed class Phi2Weights
{
    public required WeightTensor Embedding { get; init; }
    public required LayerNormWeights FinalNorm { get; init; }
    public required Projection Head { get; init; }
    public required Phi2LayerWeights[] Layers { get; init; }

    public static Phi2Weights BindHuggingFace(ITensorSource source, Phi2Config c)
    {
        int hidden = c.HiddenSize;
        var layers = new Phi2LayerWeights[c.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"model.layers.{i}.";
            layers[i] = new Phi2LayerWeights
            {
                Norm = Norm(source, p + "input_layernorm", hidden),
                Query = Linear(source, p + "self_attn.q_proj", hidden, hidden),
                Key = Linear(source, p + "self_attn.k_proj", hidden, c.KeyValueDim),
                Value = Linear(source, p + "self_attn.v_proj", hidden, c.KeyValueDim),
                QueryNorm = c.QkLayerNorm ? Norm(source, p + "self_attn.q_layernorm", c.HeadDim) : null,
                KeyNorm = c.QkLayerNorm ? Norm(source, p + "self_attn.k_layernorm", c.HeadDim) : null,
                Output = Linear(source, p + "self_attn.dense", hidden, hidden),
                Up = Linear(source, p + "mlp.fc1", hidden, c.IntermediateSize),
                Down = Linear(source, p + "mlp.fc2", c.IntermediateSize, hidden),
            };
        }
        return new Phi2Weights
        {
            Embedding = WeightBinding.Matrix(source, "model.embed_tokens.weight", hidden, c.VocabSize),
            FinalNorm = Norm(source, "model.final_layernorm", hidden),
            Head = Linear(source, "lm_head", hidden, c.VocabSize),
            Layers = layers,
        };
    }

    public static Phi2Weights BindGguf(ITensorSource source, Phi2Config c)
    {
        int hidden = c.HiddenSize;
        var layers = new Phi2LayerWeights[c.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"blk.{i}.";
            Projection q, k, v;
            if (source.TensorNames.Contains(p + "attn_qkv.weight"))
            {
                var qkv = Linear(source, p + "attn_qkv", hidden, hidden + 2 * c.KeyValueDim);
                q = Slice(qkv, 0, hidden);
                k = Slice(qkv, hidden, c.KeyValueDim);
                v = Slice(qkv, hidden + c.KeyValueDim, c.KeyValueDim);
            }
            else
            {
                q = Linear(source, p + "attn_q", hidden, hidden);
                k = Linear(source, p + "attn_k", hidden, c.KeyValueDim);
                v = Linear(source, p + "attn_v", hidden, c.KeyValueDim);
            }
            layers[i] = new Phi2LayerWeights
            {
                Norm = Norm(source, p + "attn_norm", hidden),
                Query = q, Key = k, Value = v,
                Output = Linear(source, p + "attn_output", hidden, hidden),
                Up = Linear(source, p + "ffn_up", hidden, c.IntermediateSize),
                Down = Linear(source, p + "ffn_down", c.IntermediateSize, hidden),
            };
        }
        return new Phi2Weights
        {
            Embedding = WeightBinding.Matrix(source, "token_embd.weight", hidden, c.VocabSize),
            FinalNorm = Norm(source, "output_norm", hidden),
            Head = Linear(source, "output", hidden, c.VocabSize),
            Layers = layers,
        };
    }

    static Projection Linear(ITensorSource source, string prefix, int inputs, int outputs) =>
        new(WeightBinding.MatMulWeight(source, prefix + ".weight", inputs, outputs), WeightBinding.Vector(source, prefix + ".bias", outputs));

    static LayerNormWeights Norm(ITensorSource source, string prefix, int length) =>
        new(WeightBinding.Vector(source, prefix + ".weight", length), WeightBinding.Vector(source, prefix + ".bias", length));

    static Projection Slice(Projection fused, int start, int count) =>
        new(WeightBinding.RowRange(fused.Weight, start, count), fused.Bias![start..(start + count)]);
}
