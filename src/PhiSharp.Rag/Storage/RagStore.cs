namespace PhiSharp.Rag.Storage;

/// <summary>Opens the store a <c>--db</c> value names: a postgres:// URL is PostgreSQL + pgvector, anything else a SQLite file.</summary>
public static class RagStore
{
    public static IRagStore Open(string db, bool create) =>
        PostgresUrl.IsPostgres(db) ? PostgresRagStore.Open(db, create) : SqliteRagStore.Open(db, create);
}
