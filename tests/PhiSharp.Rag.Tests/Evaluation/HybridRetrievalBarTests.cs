using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Embedding;
using PhiSharp.Rag.Evaluation;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;
using PhiSharp.Rag.Tests.Cli;
using PhiSharp.Rag.Tests.Embedding;

namespace PhiSharp.Rag.Tests.Evaluation;

/// <summary>The evaluation corpus ingested once with the built-in embedding model (default chunking: 47 chunks).</summary>
public sealed class BuiltInEvaluationStore : IAsyncLifetime
{
    readonly BuiltInModelFolder _model = new();
    readonly TempDirectory _dir = new();
    public SqliteRagStore Store { get; private set; } = null!;
    public Retriever Retriever => new(Store, _model.Embedder);

    public async Task InitializeAsync()
    {
        Store = SqliteRagStore.Open(_dir.File("rag.db"), create: true);
        await new Ingestor(Store, new Chunker(), _model.Embedder).IngestAsync(Ingestor.FindFiles([Path.Combine(Phi.Fixtures, "corpus")]));
    }

    public Task DisposeAsync()
    {
        Store.Dispose();
        _model.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Hybrid retrieval with the built-in model is never worse than its parts (docs/RAG.md): on each question set its
/// MRR is within 0.01 of the better single mode. The fusion's parameters come from tuning.jsonl, not these sets.
/// Hybrid is not asserted to be above both on paraphrased.jsonl: it equals vector there (0.941), and docs/RAG.md
/// (Evaluation) shows why no fusion of these two rankings can go above it.
/// </summary>
public class HybridRetrievalBarTests(BuiltInEvaluationStore corpus) : IClassFixture<BuiltInEvaluationStore>
{
    [Theory]
    [InlineData("questions.jsonl")]
    [InlineData("paraphrased.jsonl")]
    [InlineData("tuning.jsonl")]
    public async Task Hybrid_is_within_0_01_of_the_better_single_mode(string file)
    {
        var questions = RetrievalEvaluation.ReadQuestions(Path.Combine(Phi.Fixtures, file));
        var retriever = corpus.Retriever;
        double lexical = (await RetrievalEvaluation.RunAsync(retriever, questions, RetrievalMode.Lexical)).Mrr;
        double vector = (await RetrievalEvaluation.RunAsync(retriever, questions, RetrievalMode.Vector)).Mrr;
        double hybrid = (await RetrievalEvaluation.RunAsync(retriever, questions, RetrievalMode.Hybrid)).Mrr;

        Assert.True(hybrid >= Math.Max(lexical, vector) - 0.01, $"{file}: hybrid {hybrid:F3}, lexical {lexical:F3}, vector {vector:F3}");
    }
}
