using PhiSharp.Formats;
using PhiSharp.Models.Decoder;
using PhiSharp.Tensors;
using static PhiSharp.Models.WeightBinding;

namespace PhiSharp.Models.Bert;

internal sealed class BertLayerWeights
{
    public required Projection Query { get; init; }
    public required Projection Key { get; init; }
    public required Projection Value { get; init; }
    public required Projection Output { get; init; }
    public required LayerNormWeights AttentionNorm { get; init; }
    public required Projection Up { get; init; }
    /// <summary>The SwiGLU gate (Nomic BERT: fc12); null for a GELU MLP.</summary>
    public Projection? Gate { get; init; }
    public required Projection Down { get; init; }
    public required LayerNormWeights OutputNorm { get; init; }
}

/// <summary>
/// A BERT-family encoder's tensors under llama.cpp's GGUF names. Token type ids are always 0 (one sentence), so only
/// row 0 of the token-type table is kept, folded into the embeddings as llama.cpp and HF do for a single input.
/// </summary>
internal sealed class BertWeights
{
    public required WeightTensor TokenEmbedding { get; init; }
    /// <summary>Learned positions (BERT); null with rotary positions.</summary>
    public WeightTensor? PositionEmbedding { get; init; }
    public required float[] TokenType0 { get; init; }
    public required LayerNormWeights EmbeddingNorm { get; init; }
    public required BertLayerWeights[] Layers { get; init; }

    public static BertWeights BindGguf(ITensorSource source, BertConfig c)
    {
        int hidden = c.HiddenSize, ff = c.IntermediateSize;
        bool nomic = c.Architecture == BertArchitecture.NomicBert;
        LayerNormWeights NormOf(string name) => new(Vector(source, name + ".weight", hidden), Vector(source, name + ".bias", hidden));
        float[]? Bias(string name, int length) => source.TryGetTensor(name + ".bias", out _) ? Vector(source, name + ".bias", length) : null;
        Projection Linear(string name, int inputs, int outputs) => new(Matrix(source, name + ".weight", inputs, outputs), Bias(name, outputs));

        var layers = new BertLayerWeights[c.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string b = $"blk.{i}.";
            Projection q, k, v;
            if (source.TryGetTensor(b + "attn_qkv.weight", out _))
            {
                var qkv = Matrix(source, b + "attn_qkv.weight", hidden, 3 * hidden);
                float[]? bias = Bias(b + "attn_qkv", 3 * hidden);
                Projection Part(int n) => new(RowRange(qkv, n * hidden, hidden), bias?[(n * hidden)..((n + 1) * hidden)]);
                (q, k, v) = (Part(0), Part(1), Part(2));
            }
            else (q, k, v) = (Linear(b + "attn_q", hidden, hidden), Linear(b + "attn_k", hidden, hidden), Linear(b + "attn_v", hidden, hidden));
            layers[i] = new BertLayerWeights
            {
                Query = q, Key = k, Value = v,
                Output = Linear(b + "attn_output", hidden, hidden),
                AttentionNorm = NormOf(b + "attn_output_norm"),
                Up = Linear(b + "ffn_up", hidden, ff),
                Gate = nomic ? Linear(b + "ffn_gate", hidden, ff) : null,
                Down = Linear(b + "ffn_down", ff, hidden),
                OutputNorm = NormOf(b + "layer_output_norm"),
            };
        }
        var typeTable = Require(source, "token_types.weight");
        if (typeTable.RowLength != hidden)
            throw new ModelFormatException(source.Path, $"tensor 'token_types.weight' rows hold {typeTable.RowLength} values, expected {hidden}");
        return new BertWeights
        {
            TokenEmbedding = Matrix(source, "token_embd.weight", hidden, c.VocabSize),
            PositionEmbedding = nomic ? null : Matrix(source, "position_embd.weight", hidden, c.MaxPositions),
            TokenType0 = Kernels.WeightRows.AsFloat(typeTable, 0, new float[hidden]).ToArray(),
            EmbeddingNorm = NormOf("token_embd_norm"),
            Layers = layers,
        };
    }
}
