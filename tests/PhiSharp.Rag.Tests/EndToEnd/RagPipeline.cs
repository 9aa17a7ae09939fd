using System.Text;
using System.Text.Json;
using PhiSharp.Generation;
using PhiSharp.Rag.Answering;
using PhiSharp.Rag.Embedding;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;
using PhiSharp.Rag.Tests.Cli;
using PhiSharp.Tests.Models;

namespace PhiSharp.Rag.Tests.EndToEnd;

/// <summary>
/// `phi rag ingest → search → ask` as real `phi` processes on one store (a SQLite file or a postgres:// URL), with the
/// tiny random Phi-3 GGUF as the chat model. Its words are noise, so the answer is checked against what the library
/// generates from the same grounded prompt (greedy, so deterministic): that proves `ask` sent the numbered sources.
/// </summary>
internal static class RagPipeline
{
    const string Question = "What is the tallest volcano on Mars?";
    const int MaxTokens = 24, Top = 3, Context = 4096;

    public static async Task IngestSearchAskAsync(TempDirectory dir, string db)
    {
        // Every byte is a token to the tiny vocabulary, so the sources need more than its usual 256 positions.
        string model = dir.File("tiny-phi3.gguf");
        TinyPhi3Gguf.Write(model, o => o.ContextLength = Context);
        var corpus = Path.Combine(Phi.Fixtures, "corpus");

        var (exit, output, error) = Phi.Run(dir.Path, "rag", "ingest", corpus, "--db", db);
        Assert.True(exit == 0, error);
        Assert.Contains("35 added", output);
        Assert.Contains($"with vectors by '{BuiltInEmbeddingModel.ModelId}'", output);   // the built-in models, by default
        Assert.Contains($"'{BuiltInPackage.ArcticXs.ModelId}'", output);

        var (searchExit, json, searchError) = Phi.Run(dir.Path, "rag", "search", "--db", db, "--json", "--top", $"{Top}", Question);
        Assert.True(searchExit == 0, searchError);
        var hitPaths = JsonDocument.Parse(json).RootElement.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("path").GetString()).ToList();
        Assert.EndsWith("space/mars.md", hitPaths[0]);

        var (askExit, answer, askError) = Phi.Run(dir.Path, "rag", "ask", "--db", db, "--model", model, "--top", $"{Top}",
            "--max-tokens", $"{MaxTokens}", "--ctx", $"{Context}", Question);
        Assert.True(askExit == 0, askError);

        var (expected, sources) = await LibraryAnswerAsync(db, model);
        Assert.NotEqual("", expected.Trim()); // the random model writes something, so the comparison below compares text
        // The streamed answer, a blank line, then the sources block: the cited sources, or that none was cited.
        var cited = GroundedPrompt.Cited(expected, sources);
        var block = cited.Count == 0 ? "sources: none cited\n" : "sources:\n" + string.Concat(cited.Select(s => $"[{s.Number}] {s.Label}\n"));
        Assert.Equal(expected + "\n\n" + block, answer.ReplaceLineEndings("\n"));
        Assert.Equal(hitPaths, sources.Select(s => DocumentPath.Display(s.Chunk.Path)));

        // Nothing in the corpus shares a word with this question: a lexical search finds nothing, so "I don't know."
        // without loading the model. (Vectors always find some nearest chunk; then the model says whether it answers.)
        var (unknownExit, unknown, unknownError) = Phi.Run(dir.Path, "rag", "ask", "--db", db, "--model", dir.File("no-such-model.gguf"),
            "--mode", "lexical", "zebra xylophone quasar");
        Assert.True(unknownExit == 0, unknownError);
        Assert.StartsWith(GroundedPrompt.Unknown, unknown);
    }

    /// <summary>What the library generates for the same question, store and options (temperature 0: greedy).</summary>
    static async Task<(string Answer, IReadOnlyList<Source> Sources)> LibraryAnswerAsync(string db, string modelPath)
    {
        using var store = RagStore.Open(db, create: false);
        using var embedder = BuiltInEmbeddingModel.Load();
        using var companion = BuiltInEmbeddingModel.LoadCompanion();   // hybrid's second model, as `phi rag ask` uses by default
        var hits = await new Retriever(store, embedder, companion).SearchAsync(Question, Top);
        using var model = LanguageModel.Load(modelPath);
        var (prompt, sources) = GroundedPrompt.ForModel(Question, hits, model, Context - MaxTokens);
        var answer = new StringBuilder();
        await foreach (var token in model.Generator.GenerateAsync(prompt, new GenerationOptions { MaxTokens = MaxTokens, ContextLength = Context }))
            answer.Append(token.Text);
        return (answer.ToString(), sources);
    }
}

/// <summary>The pipeline on the default store, one SQLite file.</summary>
public sealed class SqliteRagPipelineTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public Task Ingest_search_ask_on_sqlite() => RagPipeline.IngestSearchAskAsync(_dir, _dir.File("rag.db"));
}
