using PhiSharp.Models.Bert;
using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Server.Tests;

/// <summary>
/// A server with --rag-db and --embed-model: three small documents ingested into a SQLite store with the tiny
/// BERT fixture's vectors, as `phi rag ingest --embed-model` would. One document's name is HTML, for the page test.
/// </summary>
public sealed class RagServer : IAsyncLifetime
{
    public const string HtmlName = "<img src=x onerror=alert(1)>.txt";

    readonly string _directory = Directory.CreateTempSubdirectory("phisharp-ragserver-").FullName;
    BertEmbeddingGenerator _embedder = null!;

    public IRagStore Store { get; private set; } = null!;
    public TestServer Server { get; private set; } = null!;
    public string Documents => Path.Combine(_directory, "docs");

    public async Task InitializeAsync()
    {
        Write("mars.md", "# Mars\n\nOlympus Mons on Mars is the tallest volcano in the solar system.\n");
        Write("bread.txt", "Bread dough rises because yeast makes carbon dioxide gas.\n");
        Write(HtmlName, "Volcano safety: keep away from lava flows.\n");
        Store = SqliteRagStore.Open(Path.Combine(_directory, "rag.db"), create: true);
        _embedder = BertEmbeddingGenerator.Load(EmbeddingServer.ModelPath, threads: 1);
        await new Ingestor(Store, new Chunker(), _embedder).IngestAsync(Ingestor.FindFiles([Documents]));
        Server = await TestServer.StartAsync(embedModel: EmbeddingServer.ModelPath, ragStore: Store);
    }

    void Write(string name, string text)
    {
        Directory.CreateDirectory(Documents);
        File.WriteAllText(Path.Combine(Documents, name), text);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Store.Dispose();
        _embedder.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
