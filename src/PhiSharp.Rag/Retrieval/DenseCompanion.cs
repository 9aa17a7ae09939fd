using Microsoft.Extensions.AI;

namespace PhiSharp.Rag.Retrieval;

/// <summary>
/// A second embedding model for hybrid retrieval: the chunks are embedded with it too at ingest, and its cosine joins
/// the main model's in the fusion (<see cref="HybridFusion"/>). Two bi-encoders trained differently err on different
/// questions, so their mean cosine ranks a paraphrase's document above one that only one of them is drawn to. Vector
/// search stays the main model alone.
/// </summary>
/// <param name="QueryPrefix">Put before a query, never before a chunk (arctic-embed was trained with one).</param>
public sealed record DenseCompanion(IEmbeddingGenerator<string, Embedding<float>> Embedder, string QueryPrefix) : IDisposable
{
    public void Dispose() => Embedder.Dispose();
}
