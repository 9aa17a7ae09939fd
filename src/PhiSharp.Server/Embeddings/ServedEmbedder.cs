using Microsoft.Extensions.AI;
using PhiSharp.Models.Bert;

namespace PhiSharp.Server.Embeddings;

/// <summary>
/// The server's embedding model (`--embed-model`), used by /v1/embeddings and by retrieval for grounded chat.
/// The encoder's MatMul and WorkerPool hold the state of the operation in flight and are not reentrant, so
/// requests take turns; <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/> lets the Rag retriever share the turns.
/// </summary>
sealed class ServedEmbedder(BertEmbeddingGenerator generator) : IEmbeddingGenerator<string, Embedding<float>>
{
    readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>The id clients name in "model": the embedding model's file or folder name.</summary>
    public string Id => generator.Metadata.DefaultModelId ?? "embeddings";

    public int Dimensions => generator.Model.Config.HiddenSize;

    /// <summary>Unit-length vectors, and the tokens the model saw ([CLS] and [SEP] included, after the cut to its positions).</summary>
    public async Task<(float[][] Vectors, int Tokens)> EmbedAsync(IReadOnlyList<string> texts, CancellationToken ct)
    {
        await _turn.WaitAsync(ct);
        try
        {
            var vectors = new float[texts.Count][];
            int tokens = 0;
            for (int i = 0; i < texts.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                tokens += generator.Tokenize(texts[i]).Length;
                vectors[i] = generator.Embed(texts[i]);
            }
            return (vectors, tokens);
        }
        finally
        {
            _turn.Release();
        }
    }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var (vectors, _) = await EmbedAsync(values.ToList(), cancellationToken);
        return new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = Id }));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => generator.GetService(serviceType, serviceKey);

    /// <summary>The generator belongs to whoever created the server.</summary>
    public void Dispose() => _turn.Dispose();
}
