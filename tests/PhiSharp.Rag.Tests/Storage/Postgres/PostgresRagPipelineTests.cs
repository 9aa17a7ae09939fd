using PhiSharp.Rag.Tests.EndToEnd;

namespace PhiSharp.Rag.Tests.Storage.Postgres;

/// <summary>The ingest → search → ask pipeline as `phi` processes on PostgreSQL + pgvector (PGlite over the wire).</summary>
[Collection(PgliteCollection.Name)]
public sealed class PostgresRagPipelineTests(PgliteServer server) : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public Task Ingest_search_ask_on_postgres() => RagPipeline.IngestSearchAskAsync(_dir, server.FreshDatabaseUrl());
}
