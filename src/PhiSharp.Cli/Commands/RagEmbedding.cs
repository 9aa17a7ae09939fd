using System.CommandLine;
using PhiSharp.Models.Bert;
using PhiSharp.Rag.Embedding;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Cli.Commands;

/// <summary>The `--embed-model` and `--mode` options of `phi rag`: vectors from a BERT-family embedding model, the
/// built-in all-MiniLM-L6-v2 (with snowflake-arctic-embed-xs as hybrid's second model) unless another (or none) is named.</summary>
static class RagEmbedding
{
    /// <summary>The --embed-model value that asks for no vectors at all (lexical search only).</summary>
    public const string None = "none";

    public static readonly Option<string?> Model = new("--embed-model")
    {
        Description = $"Embedding model for vector and hybrid search: a GGUF (bert / nomic-bert) or a Hugging Face folder; default: the built-in " +
                      $"{BuiltInEmbeddingModel.ModelId} (with {BuiltInPackage.ArcticXs.ModelId} as hybrid's second model); '{None}' for lexical (BM25) only. " +
                      "Ingest and search with the same one",
    };

    public static readonly Option<RetrievalMode?> Mode = new("--mode")
    {
        Description = "lexical, vector or hybrid (default: hybrid when the database has vectors, else lexical)",
    };

    public static readonly Option<double?> Mmr = new("--mmr")
    {
        Description = "Diversify the results by maximal marginal relevance with this λ: 1 is the plain ranking, lower values prefer chunks unlike those already chosen (0.5–0.7 is usual)",
    };

    /// <summary>The model that embeds the chunks of an ingest: the one named, the built-in one by default, or none.</summary>
    public static BertEmbeddingGenerator? ForIngest(ParseResult parse) => Load(parse.GetValue(Model));

    /// <summary>
    /// The model that embeds queries to <paramref name="store"/>, or null for a lexical search. Without --embed-model
    /// the built-in model is used where the store has vectors; a store without any (ingested with --embed-model none,
    /// or before the built-in model existed) is searched lexically, and a note on stderr says so (stdout may be --json).
    /// A store whose vectors come from another model is refused by the retriever, as with any model not the store's.
    /// </summary>
    public static BertEmbeddingGenerator? ForSearch(ParseResult parse, IRagStore store)
    {
        string? named = parse.GetValue(Model);
        var mode = parse.GetValue(Mode);
        if (mode == RetrievalMode.Lexical) return null;   // no query vector needed
        if (named is null && mode is null && store.Counts().Vectors == 0)
        {
            Console.Error.WriteLine("note: this database has no vectors yet, so the search is lexical (BM25) only; the next " +
                $"`phi rag ingest` of its files adds them with the built-in embedding model {BuiltInEmbeddingModel.ModelId}");
            return null;
        }
        return Load(named);
    }

    /// <summary>Hybrid search's second model for an ingest: the built-in companion when the main model is the built-in
    /// one (another --embed-model, or none, has no companion).</summary>
    public static DenseCompanion? CompanionForIngest(ParseResult parse) =>
        parse.GetValue(Model) is null ? BuiltInEmbeddingModel.LoadCompanion() : null;

    /// <summary>The companion for a search with <paramref name="embedder"/>: loaded only for hybrid search with the
    /// built-in model on a store that has companion vectors (a store ingested before it had none: the built-in model
    /// alone searches it, until the next ingest adds them).</summary>
    public static DenseCompanion? CompanionForSearch(ParseResult parse, IRagStore store, BertEmbeddingGenerator? embedder) =>
        embedder is null || parse.GetValue(Model) is not null || parse.GetValue(Mode) is RetrievalMode.Vector || store.CompanionModel() is null
            ? null : BuiltInEmbeddingModel.LoadCompanion();

    static BertEmbeddingGenerator? Load(string? named) => named switch
    {
        null => BuiltInEmbeddingModel.Load(),
        None => null,
        _ => BertEmbeddingGenerator.Load(named),
    };
}
