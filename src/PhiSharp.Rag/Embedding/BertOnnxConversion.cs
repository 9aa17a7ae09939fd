using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Formats.Onnx;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Models.Bert;

namespace PhiSharp.Rag.Embedding;

/// <summary>
/// Turns a BERT sentence encoder exported to ONNX by torch (float32, as sentence-transformers' models are) and its
/// vocab.txt into the Hugging Face folder <see cref="PhiSharp.Models.Bert.BertEmbeddingGenerator.Load"/> reads:
/// config.json, model.safetensors, tokenizer.json (uncased WordPiece) and 1_Pooling/config.json (mean or [CLS] pooling,
/// as the model was trained: the export ends at the last hidden state either way).
/// The export names no sizes, so they come from the tensors' shapes, the LayerNorm epsilon from the constant added
/// before its Sqrt, and the head count from the attention scale 1/√(head size) the scores are divided by.
/// The pooler (Gemm + Tanh) is left out: sentence-transformers does not use it.
/// </summary>
public static class BertOnnxConversion
{
    /// <summary>Writes the folder. <paramref name="maxTokens"/> keeps that many rows of the position table, so the
    /// encoder cuts longer texts where sentence-transformers does (its max_seq_length), not at the table's end.</summary>
    public static void WriteHuggingFaceFolder(OnnxGraph graph, IReadOnlyList<string> vocabulary, int maxTokens, EmbeddingPooling pooling,
        string folder, string source)
    {
        var parameters = TorchOnnxExport.Parameters(graph, source);
        OnnxTensor Get(string name) => parameters.TryGetValue(name, out var t) ? t
            : throw new ModelFormatException(source, $"no tensor '{name}': not a BERT export of transformers' BertModel");
        var words = Get("embeddings.word_embeddings.weight");
        var positions = Get("embeddings.position_embeddings.weight");
        int vocabSize = checked((int)words.Dims[0]), hidden = checked((int)words.Dims[1]);
        int layers = 0;
        while (parameters.ContainsKey($"encoder.layer.{layers}.attention.self.query.weight")) layers++;
        if (layers == 0) throw new ModelFormatException(source, "no encoder layers (encoder.layer.0.attention.self.query)");
        if (vocabulary.Count != vocabSize)
            throw new ModelFormatException(source, $"vocab.txt has {vocabulary.Count} entries, the embedding table {vocabSize} rows");
        if (maxTokens < 2 || maxTokens > positions.Dims[0])
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, $"the position table has {positions.Dims[0]} rows");
        int headSize = AttentionHeadSize(graph, source);
        if (hidden % headSize != 0) throw new ModelFormatException(source, $"hidden size {hidden} is not a multiple of the head size {headSize}");

        string[] perLayer =
        [
            "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
            "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm",
        ];
        var names = new List<string> { "embeddings.word_embeddings.weight", "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias" };
        for (int i = 0; i < layers; i++)
            foreach (string part in perLayer) names.AddRange([$"encoder.layer.{i}.{part}.weight", $"encoder.layer.{i}.{part}.bias"]);
        var tensors = names.Select(n => Get(n)).Select(t => new SafetensorsTensorData(t.Name, SafetensorsDType.F32, t.Dims, t.Data)).ToList();
        tensors.Add(new SafetensorsTensorData(positions.Name, SafetensorsDType.F32, [maxTokens, hidden], positions.Data[..(maxTokens * hidden * sizeof(float))]));

        Directory.CreateDirectory(Path.Combine(folder, "1_Pooling"));
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        WriteJson(Path.Combine(folder, "config.json"), new JsonObject
        {
            ["architectures"] = new JsonArray("BertModel"), ["model_type"] = "bert", ["hidden_act"] = "gelu",
            ["position_embedding_type"] = "absolute", ["hidden_size"] = hidden, ["num_hidden_layers"] = layers,
            ["num_attention_heads"] = hidden / headSize,
            ["intermediate_size"] = Get("encoder.layer.0.intermediate.dense.weight").Dims[0],
            ["max_position_embeddings"] = maxTokens, ["vocab_size"] = vocabSize,
            ["type_vocab_size"] = Get("embeddings.token_type_embeddings.weight").Dims[0],
            ["layer_norm_eps"] = LayerNormEpsilon(graph, source), ["pad_token_id"] = 0,
        });
        WriteJson(Path.Combine(folder, "tokenizer.json"), UncasedWordPieceTokenizer(vocabulary, source));
        WriteJson(Path.Combine(folder, "1_Pooling", "config.json"), new JsonObject
        {
            ["word_embedding_dimension"] = hidden, ["pooling_mode_cls_token"] = pooling == EmbeddingPooling.Cls,
            ["pooling_mode_mean_tokens"] = pooling == EmbeddingPooling.Mean,
        });
    }

    /// <summary>The divisor of the first attention scores: a MatMul of two activations divided by the constant √(head size).</summary>
    static int AttentionHeadSize(OnnxGraph graph, string source)
    {
        var producers = graph.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        foreach (var node in graph.Nodes)
        {
            if (node.OpType != "Div" || node.Inputs.Length != 2 || !producers.TryGetValue(node.Inputs[0], out var product)) continue;
            if (product.OpType != "MatMul" || product.Inputs.Any(graph.Constants.ContainsKey)) continue;
            if (graph.Constants.TryGetValue(node.Inputs[1], out var scale) && scale.ElementCount == 1 && scale.DataType == OnnxDataType.Float)
                return (int)MathF.Round(scale.Floats[0] * scale.Floats[0]);
        }
        throw new ModelFormatException(source, "no attention scale (scores divided by √head size) found, so the head count is unknown");
    }

    /// <summary>The constant added to the variance before the Sqrt of the first LayerNorm.</summary>
    static double LayerNormEpsilon(OnnxGraph graph, string source)
    {
        var producers = graph.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        foreach (var node in graph.Nodes.Where(n => n.OpType == "Sqrt"))
            if (producers.TryGetValue(node.Inputs[0], out var add) && add.OpType == "Add")
                foreach (string input in add.Inputs)
                    if (graph.Constants.TryGetValue(input, out var eps) && eps.ElementCount == 1 && eps.DataType == OnnxDataType.Float)
                        return eps.Floats[0];
        throw new ModelFormatException(source, "no LayerNorm epsilon (a constant added before Sqrt) found");
    }

    /// <summary>A tokenizer.json as Hugging Face's tokenizers saves bert-base-uncased's: BertNormalizer (lowercase,
    /// accents stripped), BertPreTokenizer, WordPiece with ##, [CLS] … [SEP].</summary>
    static JsonObject UncasedWordPieceTokenizer(IReadOnlyList<string> vocabulary, string source)
    {
        var vocab = new JsonObject();
        for (int id = 0; id < vocabulary.Count; id++)
            if (!vocab.TryAdd(vocabulary[id], id))
                throw new ModelFormatException(source, $"vocab.txt lists '{vocabulary[id]}' twice (ids {vocab[vocabulary[id]]} and {id})");
        int Id(string token) => vocab[token] is { } id ? id.GetValue<int>() : throw new ModelFormatException(source, $"vocab.txt has no {token}");
        var added = new JsonArray();
        foreach (string special in new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" })
            added.Add(new JsonObject
            {
                ["id"] = Id(special), ["content"] = special, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject
            {
                ["type"] = "BertNormalizer", ["clean_text"] = true, ["handle_chinese_chars"] = true, ["strip_accents"] = null, ["lowercase"] = true,
            },
            ["pre_tokenizer"] = new JsonObject { ["type"] = "BertPreTokenizer" },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "BertProcessing", ["sep"] = new JsonArray("[SEP]", Id("[SEP]")), ["cls"] = new JsonArray("[CLS]", Id("[CLS]")),
            },
            ["decoder"] = new JsonObject { ["type"] = "WordPiece", ["prefix"] = "##", ["cleanup"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["continuing_subword_prefix"] = "##", ["max_input_chars_per_word"] = 100,
                ["vocab"] = vocab,
            },
        };
    }

    static void WriteJson(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}
