using Microsoft.Extensions.AI;

namespace PhiSharp.Rag.Tests;

/// <summary>
/// A deterministic stand-in for an embedding model: each lower-cased word adds 1 to a dimension chosen by a
/// fixed hash (FNV-1a) of the word. Texts sharing words get a high cosine, so vector search is predictable.
/// </summary>
/// <paramref name="modelId"/> is what the store records as the embedding model (the same for every width, so that
/// a width mismatch reaches the store's own dimension check).
internal sealed class HashingEmbedder(int dimensions = 64, string modelId = "hashing") : IEmbeddingGenerator<string, Embedding<float>>
{
    public int Calls { get; private set; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var text in values) result.Add(new Embedding<float>(Embed(text)));
        return Task.FromResult(result);
    }

    public float[] Embed(string text)
    {
        var vector = new float[dimensions];
        foreach (var word in text.ToLowerInvariant().Split([' ', '\n', '.', ',', '?', '!', ':', ';', '(', ')', '"'], StringSplitOptions.RemoveEmptyEntries))
        {
            uint hash = 2166136261;
            foreach (char c in word) hash = (hash ^ c) * 16777619;
            vector[hash % (uint)dimensions] += 1;
        }
        return vector;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("hashing", defaultModelId: modelId) : null;

    public void Dispose() { }
}
