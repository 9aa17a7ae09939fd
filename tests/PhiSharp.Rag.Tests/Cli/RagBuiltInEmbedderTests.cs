using System.Text.Json;
using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Embedding;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Tests.Cli;

/// <summary>`phi rag` without --embed-model uses the built-in all-MiniLM-L6-v2: hybrid retrieval by default, vectors
/// added to a store that has none at its next ingest, and a store of another model still refused.</summary>
public sealed class RagBuiltInEmbedderTests : IDisposable
{
    readonly TempDirectory _dir = new();
    string Db => _dir.File("rag.db");

    public RagBuiltInEmbedderTests()
    {
        _dir.Write("docs/octopus.txt", "The octopus changes colour in a fraction of a second.");
        _dir.Write("docs/bread.txt", "Sourdough rises with a starter of wild yeasts that is fed every day.");
        _dir.Write("docs/git.txt", "Git stores the history of a project as a graph of commits.");
    }

    public void Dispose() => _dir.Dispose();

    // Shares no word with the octopus document: only vectors can find it.
    const string Paraphrase = "Which sea animal can switch its hue?";

    [Fact]
    public void Ingest_stores_the_built_in_models_vectors_and_search_is_hybrid_by_default()
    {
        var (exit, output, error) = Phi.Run(_dir.Path, "rag", "ingest", _dir.File("docs"), "--db", Db);
        Assert.True(exit == 0, error);
        Assert.Contains($"3 with vectors by '{BuiltInEmbeddingModel.ModelId}'", output);

        Assert.EndsWith("octopus.txt", FirstHit(Search(Paraphrase)));
        Assert.Equal(0, Search(Paraphrase, "--mode", "lexical").GetArrayLength());
    }

    [Fact]
    public void A_store_without_vectors_is_searched_lexically_with_a_note_until_the_next_ingest_adds_them()
    {
        Assert.Contains("no vectors: lexical search only", Ingest("--embed-model", "none"));
        var (exit, json, note) = Phi.Run(_dir.Path, "rag", "search", "--db", Db, "--json", "octopus");
        Assert.True(exit == 0, note);
        Assert.Contains("note: this database has no vectors yet, so the search is lexical (BM25) only", note);
        Assert.EndsWith("octopus.txt", JsonDocument.Parse(json).RootElement.GetProperty("hits")[0].GetProperty("path").GetString());

        Assert.Contains("0 added, 3 updated, 0 unchanged", Ingest());   // the same files, now with vectors
        var (_, _, quiet) = Phi.Run(_dir.Path, "rag", "search", "--db", Db, "--json", Paraphrase);
        Assert.Equal("", quiet);
        Assert.EndsWith("octopus.txt", FirstHit(Search(Paraphrase)));
    }

    [Fact]
    public async Task A_store_made_with_another_model_refuses_the_built_in_one_and_a_built_in_store_refuses_no_model()
    {
        using (var store = SqliteRagStore.Open(Db, create: true))
            await new Ingestor(store, new Chunker(), new HashingEmbedder(modelId: "hashing-64")).IngestAsync(Ingestor.FindFiles([_dir.File("docs")]));
        AssertError(["rag", "search", "--db", Db, "octopus"], $"embedded with 'hashing-64', not '{BuiltInEmbeddingModel.ModelId}'");
        AssertError(["rag", "ingest", _dir.File("docs"), "--db", Db], $"embedded with 'hashing-64', not '{BuiltInEmbeddingModel.ModelId}'");

        var builtIn = _dir.File("built-in.db");
        Assert.Equal(0, Phi.Run(_dir.Path, "rag", "ingest", _dir.File("docs"), "--db", builtIn).Exit);
        AssertError(["rag", "ingest", _dir.File("docs"), "--db", builtIn, "--embed-model", "none"], "leave out --embed-model");
    }

    string Ingest(params string[] extra)
    {
        var (exit, output, error) = Phi.Run(_dir.Path, ["rag", "ingest", _dir.File("docs"), "--db", Db, .. extra]);
        Assert.True(exit == 0, error);
        return output;
    }

    JsonElement Search(string query, params string[] extra)
    {
        var (exit, json, error) = Phi.Run(_dir.Path, ["rag", "search", "--db", Db, "--json", .. extra, query]);
        Assert.True(exit == 0, error);
        return JsonDocument.Parse(json).RootElement.GetProperty("hits").Clone();
    }

    static string FirstHit(JsonElement hits) => hits[0].GetProperty("path").GetString()!;

    void AssertError(string[] args, string message)
    {
        var (exit, _, error) = Phi.Run(_dir.Path, args);
        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
    }
}
