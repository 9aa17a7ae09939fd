using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Tokenizers;

namespace PhiSharp.Models.Bert;

/// <summary>
/// A sentence-embedding model as Microsoft.Extensions.AI's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>:
/// each text is WordPiece-tokenized as <c>[CLS] … [SEP]</c> (cut to the model's positions, keeping the [SEP]),
/// encoded, pooled as the model says, and L2-normalised as sentence-transformers' Normalize step does.
/// Texts are used as given: models trained with task prefixes (nomic-embed's <c>search_query: </c> /
/// <c>search_document: </c>) need the caller to add them.
/// </summary>
public sealed class BertEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public BertModel Model { get; }
    public WordPieceTokenizer Tokenizer { get; }
    public EmbeddingGeneratorMetadata Metadata { get; }

    public BertEmbeddingGenerator(BertModel model, WordPieceTokenizer tokenizer, string modelId)
    {
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new ModelFormatException(modelId, $"the tokenizer has {tokenizer.VocabSize} ids, the model's embedding table {model.Config.VocabSize}");
        Model = model;
        Tokenizer = tokenizer;
        Metadata = new EmbeddingGeneratorMetadata("phisharp", null, modelId, model.Config.HiddenSize);
    }

    /// <summary>
    /// Loads an embedding model: a GGUF file (llama.cpp's "bert" or "nomic-bert", with its "bert" vocabulary) or a
    /// Hugging Face folder (config.json, model.safetensors, tokenizer.json, optional 1_Pooling/config.json).
    /// </summary>
    public static BertEmbeddingGenerator Load(string path, TensorFileOptions? options = null, int threads = 0)
    {
        if (Directory.Exists(path)) return LoadHuggingFace(path, options, threads);
        if (!File.Exists(path)) throw new FileNotFoundException($"No embedding model file or folder at '{path}'.", path);
        var gguf = GgufFile.Open(path, options);
        try
        {
            var network = BertEncoderArchitecture.Network(BertConfig.FromGguf(gguf), gguf, BertWeights.BindGguf);
            var tokenizer = GgufTokenizer(gguf);
            var model = new BertModel(gguf, network, threads: threads);
            return new BertEmbeddingGenerator(model, tokenizer, Path.GetFileNameWithoutExtension(path));
        }
        catch
        {
            gguf.Dispose();
            throw;
        }
    }

    static BertEmbeddingGenerator LoadHuggingFace(string folder, TensorFileOptions? options, int threads)
    {
        var config = BertHuggingFace.Config(HfModelConfig.Load(folder), folder);
        string tokenizerPath = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(tokenizerPath)) throw new ModelFormatException(folder, "no tokenizer.json in the model folder");
        var tokenizer = WordPieceTokenizer.FromTokenizerJson(tokenizerPath);
        var checkpoint = SafetensorsCheckpoint.Open(folder, options);
        try
        {
            var model = new BertModel(checkpoint, BertEncoderArchitecture.Network(config, checkpoint, BertHuggingFace.Bind), threads: threads);
            return new BertEmbeddingGenerator(model, tokenizer, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))));
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    static WordPieceTokenizer GgufTokenizer(GgufFile gguf)
    {
        string kind = gguf.GetString("tokenizer.ggml.model");
        if (kind != "bert") throw new UnsupportedModelException(gguf.Path, $"tokenizer.ggml.model '{kind}' is not a WordPiece vocabulary (expected 'bert')");
        var tokens = gguf.GetStringArray("tokenizer.ggml.tokens");
        var types = gguf.TryGetInt32Array("tokenizer.ggml.token_type", out var t) ? t : Enumerable.Repeat(1, tokens.Length).ToArray();
        // llama.cpp's defaults are bert-base-uncased's ids; [CLS] may be stored as cls_token_id or bos_token_id.
        int Id(string key, int fallback) => gguf.TryGetUInt32("tokenizer.ggml." + key, out uint v) ? checked((int)v) : fallback;
        int cls = Id("cls_token_id", Id("bos_token_id", 101));
        return WordPieceTokenizer.FromGgufVocabulary(tokens, types, Id("unknown_token_id", 100), cls, Id("seperator_token_id", 102), gguf.Path);
    }

    /// <summary>The ids the model sees for <paramref name="text"/>: [CLS] … [SEP], at most the model's positions.</summary>
    public int[] Tokenize(string text)
    {
        int[] ids = Tokenizer.Encode(text, addSpecialTokens: true, parseSpecial: true);
        int max = Model.Config.MaxPositions;
        if (ids.Length <= max) return ids;
        int[] cut = ids[..max];
        cut[^1] = ids[^1];
        return cut;
    }

    /// <summary>One text's unit-length embedding.</summary>
    public float[] Embed(string text)
    {
        var vector = Model.Encode(Tokenize(text));
        float norm = TensorPrimitives.Norm(vector);
        if (norm > 0) TensorPrimitives.Multiply(vector, 1f / norm, vector);
        return vector;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (string text in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(new Embedding<float>(Embed(text)) { ModelId = Metadata.DefaultModelId, CreatedAt = DateTimeOffset.UtcNow });
        }
        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceKey is null && serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
        : null;

    public void Dispose() => Model.Dispose();
}
