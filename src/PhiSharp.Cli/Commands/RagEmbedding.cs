using System.CommandLine;
using PhiSharp.Models.Bert;
using PhiSharp.Rag.Retrieval;

namespace PhiSharp.Cli.Commands;

/// <summary>The `--embed-model` and `--mode` options of `phi rag`: vectors from a BERT-family embedding model.</summary>
static class RagEmbedding
{
    public static readonly Option<string?> Model = new("--embed-model")
    {
        Description = "Embedding model (GGUF bert / nomic-bert, or a Hugging Face folder) for vector and hybrid search; use the same one to ingest and to search",
    };

    public static readonly Option<RetrievalMode?> Mode = new("--mode")
    {
        Description = "lexical, vector or hybrid (default: hybrid with --embed-model, else lexical)",
    };

    public static readonly Option<double?> Mmr = new("--mmr")
    {
        Description = "Diversify the results by maximal marginal relevance with this λ: 1 is the plain ranking, lower values prefer chunks unlike those already chosen (0.5–0.7 is usual)",
    };

    /// <summary>The embedding model named by --embed-model, or null.</summary>
    public static BertEmbeddingGenerator? Load(ParseResult parse) =>
        parse.GetValue(Model) is { } path ? BertEmbeddingGenerator.Load(path) : null;
}
