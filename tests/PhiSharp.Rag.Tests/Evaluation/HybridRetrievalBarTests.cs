using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Embedding;
using PhiSharp.Rag.Evaluation;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;
using PhiSharp.Rag.Tests.Cli;
using PhiSharp.Rag.Tests.Embedding;

namespace PhiSharp.Rag.Tests.Evaluation;

/// <summary>The evaluation corpus ingested once with the built-in embedding models, as `phi rag ingest` does by default
/// (all-MiniLM-L6-v2 and its hybrid companion snowflake-arctic-embed-xs; default chunking: 47 chunks).</summary>
public sealed class BuiltInEvaluationStore : IAsyncLifetime
{
    readonly BuiltInModelFolder _model = new();
    readonly ArcticXsModelFolder _companionModel = new();
    readonly TempDirectory _dir = new();
    DenseCompanion Companion => new(_companionModel.Embedder, BuiltInPackage.ArcticXs.QueryPrefix);
    public SqliteRagStore Store { get; private set; } = null!;
    public Retriever Retriever => new(Store, _model.Embedder, Companion);

    public async Task InitializeAsync()
    {
        Store = SqliteRagStore.Open(_dir.File("rag.db"), create: true);
        await new Ingestor(Store, new Chunker(), _model.Embedder, companion: Companion)
            .IngestAsync(Ingestor.FindFiles([Path.Combine(Phi.Fixtures, "corpus")]));
    }

    public Task DisposeAsync()
    {
        Store.Dispose();
        _model.Dispose();
        _companionModel.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Hybrid retrieval with the built-in models is never worse than its parts (docs/RAG.md): on each question set its
/// MRR is within 0.01 of the better single mode (lexical, or vector: all-MiniLM-L6-v2 alone), and above both on
/// paraphrased.jsonl, where the companion's cosine lifts documents that share no word with their question. The
/// fusion's parameters come from tuning.jsonl and tuning-paraphrased.jsonl, not from the two evaluation sets.
/// </summary>
public class HybridRetrievalBarTests(BuiltInEvaluationStore corpus) : IClassFixture<BuiltInEvaluationStore>
{
    [Theory]
    [InlineData("questions.jsonl", false)]
    [InlineData("paraphrased.jsonl", true)]
    [InlineData("tuning.jsonl", false)]
    public async Task Hybrid_is_within_0_01_of_the_better_single_mode(string file, bool aboveBoth)
    {
        var questions = RetrievalEvaluation.ReadQuestions(Path.Combine(Phi.Fixtures, file));
        var retriever = corpus.Retriever;
        double lexical = (await RetrievalEvaluation.RunAsync(retriever, questions, RetrievalMode.Lexical)).Mrr;
        double vector = (await RetrievalEvaluation.RunAsync(retriever, questions, RetrievalMode.Vector)).Mrr;
        double hybrid = (await RetrievalEvaluation.RunAsync(retriever, questions, RetrievalMode.Hybrid)).Mrr;

        string figures = $"{file}: hybrid {hybrid:F3}, lexical {lexical:F3}, vector {vector:F3}";
        Assert.True(hybrid >= Math.Max(lexical, vector) - 0.01, figures);
        if (aboveBoth) Assert.True(hybrid > Math.Max(lexical, vector), figures);
    }
}
