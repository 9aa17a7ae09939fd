using PhiSharp.Formats;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models.Decoder;
using static PhiSharp.Models.WeightBinding;

namespace PhiSharp.Models.Bert;

/// <summary>
/// Hugging Face folders of sentence-embedding models: config.json with model_type "bert" (transformers' BertModel,
/// as sentence-transformers saves bge / MiniLM, with or without a "bert." prefix) or "nomic_bert" (nomic-embed's
/// NomicBertModel), and the pooling of sentence-transformers' 1_Pooling/config.json (mean when there is none).
/// </summary>
internal static class BertHuggingFace
{
    public static BertConfig Config(HfModelConfig c, string folder)
    {
        string type = c.ModelType;
        void Require(bool ok, string what)
        {
            if (!ok) throw new UnsupportedModelException(c.FilePath, $"{type}: {what} is not supported");
        }
        int Int(string name) => c.GetInt(name);
        if (type == "bert")
        {
            Require(!c.TryGetString("hidden_act", out string act) || act == "gelu", $"hidden_act '{act}' (supported: gelu)");
            Require(!c.TryGetString("position_embedding_type", out string pos) || pos == "absolute", $"position_embedding_type '{pos}'");
            return new BertConfig
            {
                Architecture = BertArchitecture.Bert,
                HiddenSize = Int("hidden_size"), HeadCount = Int("num_attention_heads"), LayerCount = Int("num_hidden_layers"),
                IntermediateSize = Int("intermediate_size"), VocabSize = Int("vocab_size"), MaxPositions = c.GetPositiveInt("max_position_embeddings"),
                LayerNormEpsilon = c.TryGetDouble("layer_norm_eps", out double eps) ? (float)eps : 1e-12f,
                Pooling = Pooling(folder),
            };
        }
        if (type == "nomic_bert")
        {
            Require(!c.TryGetString("activation_function", out string act) || act == "swiglu", $"activation_function '{act}' (supported: swiglu)");
            Require(!(c.TryGetBool("prenorm", out bool pre) && pre), "prenorm");
            Require(!(c.TryGetBool("rotary_emb_interleaved", out bool inter) && inter), "interleaved rotary");
            Require(!c.TryGetDouble("rotary_emb_fraction", out double fraction) || fraction == 1.0, $"rotary_emb_fraction {fraction}");
            foreach (string bias in new[] { "qkv_proj_bias", "mlp_fc1_bias", "mlp_fc2_bias" })
                Require(!(c.TryGetBool(bias, out bool b) && b), bias);
            int hidden = Int("n_embd");
            return new BertConfig
            {
                Architecture = BertArchitecture.NomicBert,
                HiddenSize = hidden, HeadCount = Int("n_head"), LayerCount = Int("n_layer"),
                IntermediateSize = c.TryGetInt("n_inner", out int inner) ? inner : 4 * hidden,
                VocabSize = Int("vocab_size"), MaxPositions = c.GetPositiveInt("n_positions"),
                LayerNormEpsilon = c.TryGetDouble("layer_norm_epsilon", out double eps) ? (float)eps : 1e-12f,
                RopeTheta = c.TryGetDouble("rotary_emb_base", out double theta) ? (float)theta : 10000f,
                Pooling = Pooling(folder),
            };
        }
        throw new UnsupportedModelException(c.FilePath, $"model_type '{type}' is not an embedding model (supported: bert, nomic_bert)");
    }

    static EmbeddingPooling Pooling(string folder)
    {
        string path = Path.Combine(folder, "1_Pooling", "config.json");
        if (!File.Exists(path)) return EmbeddingPooling.Mean;
        var p = HfJsonObject.Load(path);
        bool cls = p.TryGetBool("pooling_mode_cls_token", out bool c) && c;
        bool mean = p.TryGetBool("pooling_mode_mean_tokens", out bool m) && m;
        if (cls == mean) throw new UnsupportedModelException(path, "exactly one of pooling_mode_cls_token and pooling_mode_mean_tokens must be true");
        return cls ? EmbeddingPooling.Cls : EmbeddingPooling.Mean;
    }

    public static BertWeights Bind(ITensorSource source, BertConfig c) =>
        c.Architecture == BertArchitecture.Bert ? BindBert(source, c) : BindNomic(source, c);

    static BertWeights BindBert(ITensorSource source, BertConfig c)
    {
        int hidden = c.HiddenSize, ff = c.IntermediateSize;
        string root = source.TryGetTensor("bert.embeddings.word_embeddings.weight", out _) ? "bert." : "";
        LayerNormWeights NormOf(string name) => new(Vector(source, root + name + ".weight", hidden), Vector(source, root + name + ".bias", hidden));
        Projection Linear(string name, int inputs, int outputs) =>
            new(Matrix(source, root + name + ".weight", inputs, outputs), Vector(source, root + name + ".bias", outputs));
        var layers = new BertLayerWeights[c.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string b = $"encoder.layer.{i}.";
            layers[i] = new BertLayerWeights
            {
                Query = Linear(b + "attention.self.query", hidden, hidden),
                Key = Linear(b + "attention.self.key", hidden, hidden),
                Value = Linear(b + "attention.self.value", hidden, hidden),
                Output = Linear(b + "attention.output.dense", hidden, hidden),
                AttentionNorm = NormOf(b + "attention.output.LayerNorm"),
                Up = Linear(b + "intermediate.dense", hidden, ff),
                Down = Linear(b + "output.dense", ff, hidden),
                OutputNorm = NormOf(b + "output.LayerNorm"),
            };
        }
        return new BertWeights
        {
            TokenEmbedding = Matrix(source, root + "embeddings.word_embeddings.weight", hidden, c.VocabSize),
            PositionEmbedding = Matrix(source, root + "embeddings.position_embeddings.weight", hidden, c.MaxPositions),
            TokenType0 = FirstRow(source, root + "embeddings.token_type_embeddings.weight", hidden),
            EmbeddingNorm = NormOf("embeddings.LayerNorm"),
            Layers = layers,
        };
    }

    static BertWeights BindNomic(ITensorSource source, BertConfig c)
    {
        int hidden = c.HiddenSize, ff = c.IntermediateSize;
        LayerNormWeights NormOf(string name) => new(Vector(source, name + ".weight", hidden), Vector(source, name + ".bias", hidden));
        Projection Linear(string name, int inputs, int outputs) => new(Matrix(source, name + ".weight", inputs, outputs), null);
        var layers = new BertLayerWeights[c.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string b = $"encoder.layers.{i}.";
            var qkv = Matrix(source, b + "attn.Wqkv.weight", hidden, 3 * hidden);
            layers[i] = new BertLayerWeights
            {
                Query = new(RowRange(qkv, 0, hidden), null),
                Key = new(RowRange(qkv, hidden, hidden), null),
                Value = new(RowRange(qkv, 2 * hidden, hidden), null),
                Output = Linear(b + "attn.out_proj", hidden, hidden),
                AttentionNorm = NormOf(b + "norm1"),
                Up = Linear(b + "mlp.fc11", hidden, ff),      // y = fc11(x) · silu(fc12(x))
                Gate = Linear(b + "mlp.fc12", hidden, ff),
                Down = Linear(b + "mlp.fc2", ff, hidden),
                OutputNorm = NormOf(b + "norm2"),
            };
        }
        return new BertWeights
        {
            TokenEmbedding = Matrix(source, "embeddings.word_embeddings.weight", hidden, c.VocabSize),
            TokenType0 = FirstRow(source, "embeddings.token_type_embeddings.weight", hidden),
            EmbeddingNorm = NormOf("emb_ln"),
            Layers = layers,
        };
    }

    static float[] FirstRow(ITensorSource source, string name, int hidden)
    {
        var table = Require(source, name);
        if (table.RowLength != hidden)
            throw new ModelFormatException(source.Path, $"tensor '{name}' rows hold {table.RowLength} values, expected {hidden}");
        return Kernels.WeightRows.AsFloat(table, 0, new float[hidden]).ToArray();
    }
}
