using Npgsql;
using NpgsqlTypes;
using Pgvector;
using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Retrieval;

namespace PhiSharp.Rag.Storage;

/// <summary>
/// The scale-out store: PostgreSQL with pgvector. Tables <c>rag_meta</c>, <c>documents</c> and <c>chunks</c> in the
/// connection's current schema; chunks carry a generated <c>tsvector</c> (heading weighted A, text B, English
/// stemming) under a GIN index, and a pgvector <c>embedding</c> whose dimension is fixed by the first vectors
/// stored, at which point an HNSW cosine index is built. One connection, no pool: a store is one session, and a
/// closed store leaves nothing connected.
/// </summary>
public sealed class PostgresRagStore : IRagStore
{
    /// <summary>pgvector's HNSW index takes vectors of at most this many dimensions; longer ones are scanned exactly.</summary>
    const int MaxIndexedDimensions = 2000;

    readonly NpgsqlDataSource _dataSource;
    readonly NpgsqlConnection _connection;
    public string Description { get; }

    PostgresRagStore(NpgsqlDataSource dataSource, NpgsqlConnection connection, string description)
    {
        (_dataSource, _connection, Description) = (dataSource, connection, description);
    }

    /// <summary>
    /// Connects to the database <paramref name="url"/> names. With <paramref name="create"/> a database without our
    /// tables gets them (and the vector extension); without it such a database is an error. A database holding a
    /// <c>documents</c> or <c>chunks</c> table that is not ours, or another format or version, is refused untouched.
    /// </summary>
    public static PostgresRagStore Open(string url, bool create)
    {
        var builder = PostgresUrl.Parse(url);
        builder.Pooling = false; // Dispose closes the session (and PGlite serves one session at a time)
        var description = PostgresUrl.Describe(builder);
        var dataSourceBuilder = new NpgsqlDataSourceBuilder(builder.ConnectionString);
        dataSourceBuilder.UseVector();
        var dataSource = dataSourceBuilder.Build();
        NpgsqlConnection? connection = null;
        try
        {
            connection = dataSource.OpenConnection();
            var store = new PostgresRagStore(dataSource, connection, description);
            store.CheckOrCreateSchema(create);
            return store;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            connection?.Dispose();
            dataSource.Dispose();
            throw new RagStoreException($"cannot use PostgreSQL database {description}: {Reason(e)}", e);
        }
        catch
        {
            connection?.Dispose();
            dataSource.Dispose();
            throw;
        }
    }

    /// <summary>The server's message for a PostgreSQL error; the innermost cause (refused, unknown host) for a connection failure.</summary>
    static string Reason(Exception e)
    {
        if (e is PostgresException pg) return pg.MessageText;
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message;
    }

    void CheckOrCreateSchema(bool create)
    {
        if (Scalar<bool>("SELECT to_regclass('rag_meta') IS NOT NULL"))
        {
            var format = Scalar<string?>("SELECT value FROM rag_meta WHERE key = 'format'");
            if (format != SqliteRagStore.Format)
                throw new RagStoreException($"{Description} is not a PhiSharp RAG store (rag_meta format is '{format}', expected '{SqliteRagStore.Format}'); refusing to touch it");
            var version = Scalar<string?>("SELECT value FROM rag_meta WHERE key = 'version'");
            if (version != SqliteRagStore.SchemaVersion.ToString())
                throw new RagStoreException($"{Description} has RAG schema version {version}; this PhiSharp reads version {SqliteRagStore.SchemaVersion}");
            return;
        }
        var foreign = Scalar<string?>("SELECT string_agg(t, ', ') FROM unnest(ARRAY['documents', 'chunks']) t WHERE to_regclass(t) IS NOT NULL");
        if (foreign is not null)
            throw new RagStoreException($"{Description} is not a PhiSharp RAG store: it has a table named {foreign} but no rag_meta; refusing to touch it");
        if (!create)
            throw new RagStoreException($"{Description} holds no PhiSharp RAG store (build one with `phi rag ingest PATH --db postgres://...`)");

        using (var tx = _connection.BeginTransaction())
        {
            Execute("CREATE EXTENSION IF NOT EXISTS vector", tx);
            Execute(Schema, tx);
            Execute($"INSERT INTO rag_meta(key, value) VALUES ('format', '{SqliteRagStore.Format}'), ('version', '{SqliteRagStore.SchemaVersion}')", tx);
            tx.Commit();
        }
        _connection.ReloadTypes(); // the vector type did not exist when the connection loaded its type map
    }

    const string Schema = """
        CREATE TABLE rag_meta (key text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE documents (
            id bigserial PRIMARY KEY, path text NOT NULL UNIQUE, hash text NOT NULL,
            bytes bigint NOT NULL, ingested_utc timestamptz NOT NULL);
        CREATE TABLE chunks (
            id bigserial PRIMARY KEY, document_id bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal integer NOT NULL, heading text, text text NOT NULL, tokens integer NOT NULL,
            embedding vector,
            search tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', coalesce(heading, '')), 'A') || setweight(to_tsvector('english', text), 'B')) STORED,
            UNIQUE (document_id, ordinal));
        CREATE INDEX chunks_search ON chunks USING gin (search);
        """ + CompanionSchema;

    // The second model's vectors (DenseCompanion), read by chunk id only (they rescore the fusion's candidates, so no
    // index), as VectorCodec blobs. A table of its own, made by the first ingest that has them, so that stores made
    // before it are read as they are (schema version 1 either way).
    const string CompanionSchema = """
        CREATE TABLE IF NOT EXISTS companion_vectors (
            chunk_id bigint PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE, embedding bytea NOT NULL);
        """;

    bool HasCompanionTable() => Scalar<bool>("SELECT to_regclass('companion_vectors') IS NOT NULL");

    public string? DocumentHash(string path) =>
        Scalar<string?>("SELECT hash FROM documents WHERE path = @p", null, ("p", path));

    public void ReplaceDocument(string path, string hash, long bytes, IReadOnlyList<Chunk> chunks, IReadOnlyList<ReadOnlyMemory<byte>>? vectors,
        IReadOnlyList<ReadOnlyMemory<byte>>? companionVectors = null)
    {
        if (vectors is not null && vectors.Count != chunks.Count)
            throw new ArgumentException($"{vectors.Count} vectors for {chunks.Count} chunks", nameof(vectors));
        if (companionVectors is not null && companionVectors.Count != chunks.Count)
            throw new ArgumentException($"{companionVectors.Count} companion vectors for {chunks.Count} chunks", nameof(companionVectors));
        var floats = vectors?.Select(v => VectorCodec.Decode(v.Span)).ToList();
        using var tx = _connection.BeginTransaction();
        if (companionVectors is not null) Execute(CompanionSchema, tx);
        if (floats is { Count: > 0 }) EnsureDimensions(floats[0].Length, tx);
        var id = Scalar<long>("""
            INSERT INTO documents(path, hash, bytes, ingested_utc) VALUES (@p, @h, @b, now())
            ON CONFLICT (path) DO UPDATE SET hash = excluded.hash, bytes = excluded.bytes, ingested_utc = excluded.ingested_utc
            RETURNING id
            """, tx, ("p", path), ("h", hash), ("b", bytes));
        Execute("DELETE FROM chunks WHERE document_id = @d", tx, ("d", id));

        // One round trip for all of a file's chunks.
        using var batch = new NpgsqlBatch(_connection, tx);
        for (int i = 0; i < chunks.Count; i++)
        {
            const string chunk = "INSERT INTO chunks(document_id, ordinal, heading, text, tokens, embedding) VALUES (@d, @o, @h, @t, @n, @e)";
            var insert = new NpgsqlBatchCommand(companionVectors is null ? chunk
                : $"WITH c AS ({chunk} RETURNING id) INSERT INTO companion_vectors(chunk_id, embedding) SELECT id, @v FROM c");
            if (companionVectors is not null) insert.Parameters.AddWithValue("v", companionVectors[i].ToArray());
            insert.Parameters.AddWithValue("d", id);
            insert.Parameters.AddWithValue("o", chunks[i].Ordinal);
            insert.Parameters.Add(new NpgsqlParameter("h", NpgsqlDbType.Text) { Value = (object?)chunks[i].Heading ?? DBNull.Value });
            insert.Parameters.AddWithValue("t", chunks[i].Text);
            insert.Parameters.AddWithValue("n", chunks[i].Tokens);
            insert.Parameters.Add(new NpgsqlParameter { ParameterName = "e", DataTypeName = "vector", Value = floats is null ? DBNull.Value : new Vector(floats[i]) });
            batch.BatchCommands.Add(insert);
        }
        if (chunks.Count > 0) batch.ExecuteNonQuery();
        tx.Commit();
    }

    /// <summary>The first vectors fix the column's dimension (and get the HNSW index); later ones must match it.</summary>
    void EnsureDimensions(int dims, NpgsqlTransaction tx)
    {
        var stored = Scalar<string?>("SELECT value FROM rag_meta WHERE key = 'dimensions'", tx);
        if (stored is null)
        {
            Execute($"ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({dims})", tx);
            if (dims <= MaxIndexedDimensions)
                Execute("CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_cosine_ops)", tx);
            Execute("INSERT INTO rag_meta(key, value) VALUES ('dimensions', @v)", tx, ("v", dims.ToString()));
        }
        else if (stored != dims.ToString())
        {
            throw new RagStoreException($"{Description} holds {stored}-dimensional vectors; these are {dims}-dimensional: " +
                "the documents were embedded with a different model; use that one, or a new database");
        }
    }

    public void RemoveDocument(string path) =>
        Execute("DELETE FROM documents WHERE path = @p", null, ("p", path)); // chunks cascade

    public IReadOnlyList<string> DocumentsUnder(string folder)
    {
        string prefix = Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar;
        using var command = Command("SELECT path FROM documents WHERE left(path, length(@f)) = @f ORDER BY path", null, ("f", prefix));
        using var reader = command.ExecuteReader();
        var paths = new List<string>();
        while (reader.Read()) paths.Add(reader.GetString(0));
        return paths;
    }

    public IReadOnlyList<string> DocumentsLackingVectors(bool companion = false)
    {
        using var command = Command($"SELECT DISTINCT d.path FROM documents d JOIN chunks c ON c.document_id = d.id WHERE {Lacking(companion)} ORDER BY d.path", null);
        using var reader = command.ExecuteReader();
        var paths = new List<string>();
        while (reader.Read()) paths.Add(reader.GetString(0));
        return paths;
    }

    public bool LacksVectors(string path, bool companion = false) => Scalar<bool>(
        $"SELECT EXISTS (SELECT 1 FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.path = @p AND {Lacking(companion)})",
        null, ("p", path));

    /// <summary>The condition on chunk c that it lacks a vector (or, with <paramref name="companion"/>, either vector).</summary>
    string Lacking(bool companion) => !companion ? "c.embedding IS NULL"
        : HasCompanionTable() ? "(c.embedding IS NULL OR NOT EXISTS (SELECT 1 FROM companion_vectors v WHERE v.chunk_id = c.id))"
        : "true";

    public string? CompanionModel() => Scalar<string?>("SELECT value FROM rag_meta WHERE key = 'companion_model'");

    public void RecordCompanionModel(string id) =>
        Execute("INSERT INTO rag_meta(key, value) VALUES ('companion_model', @v) ON CONFLICT (key) DO UPDATE SET value = excluded.value", null, ("v", id));

    public string? EmbeddingModel() => Scalar<string?>("SELECT value FROM rag_meta WHERE key = 'embedding_model'");

    public void RecordEmbeddingModel(string id) =>
        Execute("INSERT INTO rag_meta(key, value) VALUES ('embedding_model', @v) ON CONFLICT (key) DO UPDATE SET value = excluded.value", null, ("v", id));

    public IReadOnlyList<RetrievedChunk> SearchLexical(string query, int limit)
    {
        var terms = LexicalQuery.Terms(query);
        if (terms.Count == 0 || limit <= 0) return [];
        // Each word quoted as one lexeme (stemmed, stop words dropped by the 'english' configuration), OR-ed.
        // Score: ts_rank_cd (cover density: matched lexemes weighted by field, heading 1.0, text 0.4, closer
        // together scoring higher) divided by 1 + ln(chunk length) (normalization 1: on the evaluation set it
        // gave MRR 0.979 against 0.964 unnormalized and 0.969 divided by length).
        var tsquery = string.Join(" | ", terms.Select(t => $"'{t}'"));
        return ReadChunks("""
            SELECT c.id, d.path, c.ordinal, c.heading, c.text, ts_rank_cd(c.search, q, 1)::float8 AS score
            FROM chunks c JOIN documents d ON d.id = c.document_id, to_tsquery('english', @q) q
            WHERE c.search @@ q ORDER BY score DESC, c.id LIMIT @k
            """, ("q", tsquery), ("k", limit));
    }

    public IReadOnlyList<(long ChunkId, float Score)> SearchVectors(ReadOnlySpan<float> query, int top)
    {
        if (top <= 0) return [];
        var stored = Scalar<string?>("SELECT value FROM rag_meta WHERE key = 'dimensions'");
        if (stored is null) return [];
        if (stored != query.Length.ToString())
            throw new ArgumentException($"the query embedding has {query.Length} dimensions but the stored vectors have {stored}: use the embedding model the documents were ingested with");
        // HNSW returns at most ef_search candidates; ask for at least as many as wanted.
        Execute("SELECT set_config('hnsw.ef_search', @ef, false)", null, ("ef", Math.Clamp(top, 40, 1000).ToString()));
        using var command = Command("""
            SELECT id, 1 - (embedding <=> @q) FROM chunks WHERE embedding IS NOT NULL ORDER BY embedding <=> @q, id LIMIT @k
            """, null, ("q", new Vector(query.ToArray())), ("k", top));
        using var reader = command.ExecuteReader();
        var hits = new List<(long, float)>();
        while (reader.Read()) hits.Add((reader.GetInt64(0), (float)reader.GetDouble(1)));
        return hits;
    }

    public IReadOnlyList<RetrievedChunk> Chunks(IReadOnlyCollection<long> ids)
    {
        if (ids.Count == 0) return [];
        return ReadChunks("""
            SELECT c.id, d.path, c.ordinal, c.heading, c.text, 0.0::float8 FROM chunks c JOIN documents d ON d.id = c.document_id
            WHERE c.id = ANY(@ids)
            """, ("ids", ids.ToArray()));
    }

    public IReadOnlyDictionary<long, float[]> ChunkVectors(IReadOnlyCollection<long> ids)
    {
        var vectors = new Dictionary<long, float[]>();
        if (ids.Count == 0) return vectors;
        using var command = Command("SELECT id, embedding FROM chunks WHERE embedding IS NOT NULL AND id = ANY(@ids)", null, ("ids", ids.ToArray()));
        using var reader = command.ExecuteReader();
        while (reader.Read()) vectors[reader.GetInt64(0)] = reader.GetFieldValue<Vector>(1).ToArray();
        return vectors;
    }

    public IReadOnlyDictionary<long, float[]> CompanionVectors(IReadOnlyCollection<long> ids)
    {
        var vectors = new Dictionary<long, float[]>();
        if (ids.Count == 0 || !HasCompanionTable()) return vectors;
        using var command = Command("SELECT chunk_id, embedding FROM companion_vectors WHERE chunk_id = ANY(@ids)", null, ("ids", ids.ToArray()));
        using var reader = command.ExecuteReader();
        while (reader.Read()) vectors[reader.GetInt64(0)] = VectorCodec.Decode((byte[])reader.GetValue(1));
        return vectors;
    }

    public StoreCounts Counts() => new(
        Scalar<long>("SELECT count(*) FROM documents"),
        Scalar<long>("SELECT count(*) FROM chunks"),
        Scalar<long>("SELECT count(*) FROM chunks WHERE search IS NOT NULL"),
        Scalar<long>("SELECT count(*) FROM chunks WHERE embedding IS NOT NULL"));

    public void Dispose()
    {
        _connection.Dispose();
        _dataSource.Dispose();
    }

    List<RetrievedChunk> ReadChunks(string sql, params (string, object)[] parameters)
    {
        using var command = Command(sql, null, parameters);
        using var reader = command.ExecuteReader();
        var list = new List<RetrievedChunk>();
        while (reader.Read())
            list.Add(new RetrievedChunk(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4), reader.GetDouble(5)));
        return list;
    }

    NpgsqlCommand Command(string sql, NpgsqlTransaction? tx, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, _connection, tx);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }

    void Execute(string sql, NpgsqlTransaction? tx = null, params (string, object)[] parameters)
    {
        using var command = Command(sql, tx, parameters);
        command.ExecuteNonQuery();
    }

    T Scalar<T>(string sql, NpgsqlTransaction? tx = null, params (string, object)[] parameters)
    {
        using var command = Command(sql, tx, parameters);
        var value = command.ExecuteScalar();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T));
    }
}
