using Microsoft.Extensions.AI;
using PhiSharp.Rag.Embedding;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Retrieval;

/// <summary>
/// Which embedding model made a store's vectors. The first ingest with a model records its id; later ingests and
/// vector searches must use the same one, because vectors of two models are not comparable even when they have the
/// same width (a search would return noise without any error).
/// </summary>
public static class EmbeddingModelRecord
{
    /// <summary>The model's id (<see cref="EmbeddingGeneratorMetadata.DefaultModelId"/>: PhiSharp's encoders use the
    /// file or folder name), or its type name when it has none.</summary>
    public static string IdOf(IEmbeddingGenerator<string, Embedding<float>> embedder) =>
        (embedder.GetService(typeof(EmbeddingGeneratorMetadata)) as EmbeddingGeneratorMetadata)?.DefaultModelId ?? embedder.GetType().Name;

    /// <summary>Before an ingest: records the model on first use; refuses another model, or no model for a store
    /// whose documents have vectors (new files would be missing from vector search).</summary>
    public static void CheckForIngest(IRagStore store, IEmbeddingGenerator<string, Embedding<float>>? embedder)
    {
        var recorded = store.EmbeddingModel();
        if (embedder is null)
        {
            if (recorded is not null)
                throw new ArgumentException($"the documents in this database have vectors from the embedding model '{recorded}': " +
                    $"ingest with {HowToName(recorded)}, so that new and changed files get vectors too");
            return;
        }
        if (recorded is null) store.RecordEmbeddingModel(IdOf(embedder));
        else Check(recorded, embedder);
    }

    /// <summary>Before a vector search: refuses a model other than the recorded one. Returns whether a model is
    /// recorded (and so matched): a recorded model never changes, so the check need not be repeated.</summary>
    public static bool CheckForSearch(IRagStore store, IEmbeddingGenerator<string, Embedding<float>> embedder)
    {
        if (store.EmbeddingModel() is not { } recorded) return false;
        Check(recorded, embedder);
        return true;
    }

    /// <summary>Before an ingest with a companion: records it on first use; refuses another one (its vectors in the
    /// store would be mixed with the new ones).</summary>
    public static void CheckCompanionForIngest(IRagStore store, DenseCompanion companion)
    {
        string id = IdOf(companion.Embedder);
        if (store.CompanionModel() is not { } recorded) store.RecordCompanionModel(id);
        else if (recorded != id)
            throw new ArgumentException($"the documents in this database have companion vectors from '{recorded}', not '{id}'; ingest into a new database");
    }

    /// <summary>Whether a search may use the companion: the store's companion vectors were made by it.</summary>
    public static bool CompanionMatches(IRagStore store, DenseCompanion companion) => store.CompanionModel() == IdOf(companion.Embedder);

    static void Check(string recorded, IEmbeddingGenerator<string, Embedding<float>> embedder)
    {
        string id = IdOf(embedder);
        if (id != recorded)
            throw new ArgumentException($"the documents in this database were embedded with '{recorded}', not '{id}': " +
                $"vectors of different models cannot be compared; use {HowToName(recorded)}, or ingest into a new database");
    }

    static string HowToName(string recorded) => recorded == BuiltInEmbeddingModel.ModelId
        ? $"the built-in model '{recorded}' (leave out --embed-model)"
        : $"--embed-model set to '{recorded}'";
}
