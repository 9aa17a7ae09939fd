using Microsoft.Data.Sqlite;
using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Retrieval;

namespace PhiSharp.Rag.Storage;

/// <summary>
/// The default store: one SQLite file holding documents, chunks, an FTS5 index over chunk headings and text
/// (kept in step by triggers, ranked with BM25) and optional vector blobs. WAL journaling, one transaction per
/// document, and a <c>rag_meta</c> marker so that a database that is not ours is refused, never written to.
/// </summary>
public sealed class SqliteRagStore : IRagStore
{
    public const string Format = "phisharp-rag";
    public const int SchemaVersion = 1;

    readonly SqliteConnection _connection;
    VectorIndex? _index; // loaded on the first vector search, dropped when a document changes
    public string FilePath { get; }

    SqliteRagStore(string path, SqliteConnection connection)
    {
        FilePath = path;
        _connection = connection;
    }

    /// <summary>
    /// Opens the store at <paramref name="path"/>. With <paramref name="create"/> a file that does not exist becomes
    /// a new store; without it that is an error (searching a store that was never built). A file that exists is
    /// opened only if it is a store already: anything else (an empty file, a document, another SQLite database) is
    /// refused and left as it was.
    /// </summary>
    public static SqliteRagStore Open(string path, bool create)
    {
        path = Path.GetFullPath(path);
        bool exists = File.Exists(path);
        if (!exists && !create) throw new FileNotFoundException($"no RAG database at {path} (build one with `phi rag ingest PATH --db {path}`)", path);
        if (Directory.Exists(path)) throw new RagStoreException($"{path} is a folder, not a database file");
        if (exists) CheckSqliteHeader(path);

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            Pooling = false, // a closed store releases its file at once (tests delete it; other processes open it)
        }.ToString());
        try
        {
            connection.Open();
            var store = new SqliteRagStore(path, connection);
            store.Execute("PRAGMA busy_timeout = 10000");
            store.CheckOrCreateSchema(create: !exists);
            store.Execute("PRAGMA journal_mode = WAL");
            // In WAL mode NORMAL loses at most the last commits on power loss, never consistency.
            store.Execute("PRAGMA synchronous = NORMAL");
            store.Execute("PRAGMA foreign_keys = ON");
            return store;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw e.SqliteErrorCode switch
            {
                26 => new RagStoreException($"{path} is not a SQLite database (so not a PhiSharp RAG store)", e), // SQLITE_NOTADB
                11 => new RagStoreException($"{path} is a damaged SQLite database: {e.Message}", e),              // SQLITE_CORRUPT
                _ => new RagStoreException($"cannot open {path}: {e.Message}", e),
            };
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// SQLite itself takes a 0-byte file (mktemp's, or a document named as --db by mistake) for an empty database
    /// and would write a store into it, so an existing file must start with SQLite's header before SQLite opens it.
    /// A FIFO or device is not opened at all: reading one could wait forever.
    /// </summary>
    static void CheckSqliteHeader(string path)
    {
        if (FileKinds.Of(path) is { } kind && kind != FileKind.Regular)
            throw new RagStoreException($"{path} is {FileKinds.NotRegular(kind)}, so not a PhiSharp RAG store");
        Span<byte> header = stackalloc byte[16];
        int read;
        using (var file = File.OpenRead(path)) read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (read == 0) throw new RagStoreException($"{path} is an empty file, not a PhiSharp RAG store; refusing to touch it");
        if (!header[..read].SequenceEqual("SQLite format 3\0"u8))
            throw new RagStoreException($"{path} is not a SQLite database (so not a PhiSharp RAG store); refusing to touch it");
    }

    /// <param name="create">The file is new: a database without tables is made a store; otherwise it is refused.</param>
    void CheckOrCreateSchema(bool create)
    {
        long tables = Scalar<long>("SELECT count(*) FROM sqlite_master");
        if (tables == 0)
        {
            if (!create) throw new RagStoreException($"{FilePath} is an empty SQLite database, not a PhiSharp RAG store; refusing to touch it");
            using var tx = _connection.BeginTransaction();
            Execute(Schema, tx); // Microsoft.Data.Sqlite runs every statement of a multi-statement command
            Execute($"INSERT INTO rag_meta(key, value) VALUES ('format', '{Format}'), ('version', '{SchemaVersion}')", tx);
            tx.Commit();
            return;
        }
        if (Scalar<long>("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'rag_meta'") == 0)
            throw new RagStoreException($"{FilePath} is a SQLite database but not a PhiSharp RAG store (it has no rag_meta table); refusing to touch it");
        var format = Scalar<string?>("SELECT value FROM rag_meta WHERE key = 'format'");
        if (format != Format)
            throw new RagStoreException($"{FilePath} is not a PhiSharp RAG store (rag_meta format is '{format}', expected '{Format}'); refusing to touch it");
        var version = Scalar<string?>("SELECT value FROM rag_meta WHERE key = 'version'");
        if (version != SchemaVersion.ToString())
            throw new RagStoreException($"{FilePath} has RAG schema version {version}; this PhiSharp reads version {SchemaVersion}");
    }

    const string Schema = """
        CREATE TABLE rag_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, hash TEXT NOT NULL,
            bytes INTEGER NOT NULL, ingested_utc TEXT NOT NULL);
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL, heading TEXT, text TEXT NOT NULL, tokens INTEGER NOT NULL,
            embedding BLOB, UNIQUE (document_id, ordinal));
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            heading, text, content = 'chunks', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 2');
        CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
            INSERT INTO chunks_fts(rowid, heading, text) VALUES (new.id, new.heading, new.text);
        END;
        CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, heading, text) VALUES ('delete', old.id, old.heading, old.text);
        END;
        """ + CompanionSchema;

    // The second model's vectors (DenseCompanion). A table of its own, made by the first ingest that has them, so that
    // stores made before it are read as they are (schema version 1 either way: nothing else changed).
    const string CompanionSchema = """
        CREATE TABLE IF NOT EXISTS companion_vectors (
            chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE, embedding BLOB NOT NULL);
        """;

    bool HasCompanionTable() =>
        Scalar<long>("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'companion_vectors'") != 0;

    public string? DocumentHash(string path) =>
        Scalar<string?>("SELECT hash FROM documents WHERE path = $p", ("$p", path));

    public void ReplaceDocument(string path, string hash, long bytes, IReadOnlyList<Chunk> chunks, IReadOnlyList<ReadOnlyMemory<byte>>? vectors,
        IReadOnlyList<ReadOnlyMemory<byte>>? companionVectors = null)
    {
        if (vectors is not null && vectors.Count != chunks.Count)
            throw new ArgumentException($"{vectors.Count} vectors for {chunks.Count} chunks", nameof(vectors));
        if (companionVectors is not null && companionVectors.Count != chunks.Count)
            throw new ArgumentException($"{companionVectors.Count} companion vectors for {chunks.Count} chunks", nameof(companionVectors));
        using var tx = _connection.BeginTransaction();
        if (companionVectors is not null) Execute(CompanionSchema, tx);
        var id = Scalar<long?>("SELECT id FROM documents WHERE path = $p", tx, ("$p", path));
        if (id is long existing)
        {
            Execute("DELETE FROM chunks WHERE document_id = $id", tx, ("$id", existing));
            Execute("UPDATE documents SET hash = $h, bytes = $b, ingested_utc = $t WHERE id = $id", tx,
                ("$h", hash), ("$b", bytes), ("$t", DateTime.UtcNow.ToString("O")), ("$id", existing));
        }
        else
        {
            id = Scalar<long>("INSERT INTO documents(path, hash, bytes, ingested_utc) VALUES ($p, $h, $b, $t) RETURNING id", tx,
                ("$p", path), ("$h", hash), ("$b", bytes), ("$t", DateTime.UtcNow.ToString("O")));
        }

        using var insert = _connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO chunks(document_id, ordinal, heading, text, tokens, embedding) VALUES ($d, $o, $h, $t, $n, $e) RETURNING id";
        var d = insert.Parameters.Add("$d", SqliteType.Integer);
        var o = insert.Parameters.Add("$o", SqliteType.Integer);
        var h = insert.Parameters.Add("$h", SqliteType.Text);
        var t = insert.Parameters.Add("$t", SqliteType.Text);
        var n = insert.Parameters.Add("$n", SqliteType.Integer);
        var e = insert.Parameters.Add("$e", SqliteType.Blob);
        for (int i = 0; i < chunks.Count; i++)
        {
            d.Value = id;
            o.Value = chunks[i].Ordinal;
            h.Value = (object?)chunks[i].Heading ?? DBNull.Value;
            t.Value = chunks[i].Text;
            n.Value = chunks[i].Tokens;
            e.Value = vectors is null ? DBNull.Value : vectors[i].ToArray();
            long chunkId = (long)insert.ExecuteScalar()!;
            if (companionVectors is not null)
                Execute("INSERT INTO companion_vectors(chunk_id, embedding) VALUES ($c, $e)", tx, ("$c", chunkId), ("$e", companionVectors[i].ToArray()));
        }
        tx.Commit();
        _index = null;
    }

    public void RemoveDocument(string path)
    {
        Execute("DELETE FROM documents WHERE path = $p", null, ("$p", path)); // chunks (and their FTS rows) cascade
        _index = null;
    }

    public IReadOnlyList<string> DocumentsUnder(string folder)
    {
        string prefix = Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar;
        using var command = Command("SELECT path FROM documents WHERE substr(path, 1, length($f)) = $f ORDER BY path", null, ("$f", prefix));
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

    public bool LacksVectors(string path, bool companion = false) => Scalar<long>(
        $"SELECT EXISTS (SELECT 1 FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.path = $p AND {Lacking(companion)})",
        ("$p", path)) != 0;

    /// <summary>The condition on chunk c that it lacks a vector (or, with <paramref name="companion"/>, either vector).</summary>
    string Lacking(bool companion) => !companion ? "c.embedding IS NULL"
        : HasCompanionTable() ? "(c.embedding IS NULL OR NOT EXISTS (SELECT 1 FROM companion_vectors v WHERE v.chunk_id = c.id))"
        : "1";

    public string? CompanionModel() => Scalar<string?>("SELECT value FROM rag_meta WHERE key = 'companion_model'");

    public void RecordCompanionModel(string id) =>
        Execute("INSERT INTO rag_meta(key, value) VALUES ('companion_model', $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value", null, ("$v", id));

    public string? EmbeddingModel() => Scalar<string?>("SELECT value FROM rag_meta WHERE key = 'embedding_model'");

    public void RecordEmbeddingModel(string id) =>
        Execute("INSERT INTO rag_meta(key, value) VALUES ('embedding_model', $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value", null, ("$v", id));

    public IReadOnlyList<RetrievedChunk> SearchLexical(string query, int limit)
    {
        var match = LexicalQuery.ToFts5(query);
        if (match is null || limit <= 0) return [];
        // bm25() is lower-is-better (negative); the score reported is its negation so that higher is better.
        return ReadChunks("""
            SELECT c.id, d.path, c.ordinal, c.heading, c.text, -bm25(chunks_fts) AS score
            FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid JOIN documents d ON d.id = c.document_id
            WHERE chunks_fts MATCH $q ORDER BY bm25(chunks_fts) LIMIT $k
            """, ("$q", match), ("$k", limit));
    }

    /// <summary>An exact SIMD cosine scan over all stored vectors (see <see cref="VectorIndex"/>).</summary>
    public IReadOnlyList<(long ChunkId, float Score)> SearchVectors(ReadOnlySpan<float> query, int top) =>
        (_index ??= VectorIndex.Load(this)).Search(query, top);

    /// <summary>Every stored vector blob with its chunk id (chunks ingested without an embedder have none).</summary>
    public IEnumerable<(long ChunkId, byte[] Vector)> Vectors()
    {
        using var command = Command("SELECT id, embedding FROM chunks WHERE embedding IS NOT NULL", null);
        using var reader = command.ExecuteReader();
        while (reader.Read()) yield return (reader.GetInt64(0), (byte[])reader.GetValue(1));
    }

    public IReadOnlyList<RetrievedChunk> Chunks(IReadOnlyCollection<long> ids)
    {
        if (ids.Count == 0) return [];
        return ReadChunks($"""
            SELECT c.id, d.path, c.ordinal, c.heading, c.text, 0.0 FROM chunks c JOIN documents d ON d.id = c.document_id
            WHERE c.id IN ({string.Join(',', ids)})
            """);
    }

    public IReadOnlyDictionary<long, float[]> ChunkVectors(IReadOnlyCollection<long> ids) =>
        ReadVectors($"SELECT id, embedding FROM chunks WHERE embedding IS NOT NULL AND id IN ({string.Join(',', ids)})", ids.Count);

    public IReadOnlyDictionary<long, float[]> CompanionVectors(IReadOnlyCollection<long> ids) => !HasCompanionTable() ? new Dictionary<long, float[]>()
        : ReadVectors($"SELECT chunk_id, embedding FROM companion_vectors WHERE chunk_id IN ({string.Join(',', ids)})", ids.Count);

    IReadOnlyDictionary<long, float[]> ReadVectors(string sql, int count)
    {
        var vectors = new Dictionary<long, float[]>();
        if (count == 0) return vectors;
        using var command = Command(sql, null);
        using var reader = command.ExecuteReader();
        while (reader.Read()) vectors[reader.GetInt64(0)] = VectorCodec.Decode((byte[])reader.GetValue(1));
        return vectors;
    }

    public StoreCounts Counts() => new(
        Scalar<long>("SELECT count(*) FROM documents"),
        Scalar<long>("SELECT count(*) FROM chunks"),
        Scalar<long>("SELECT count(*) FROM chunks_fts_docsize"),
        Scalar<long>("SELECT count(*) FROM chunks WHERE embedding IS NOT NULL"));

    /// <summary>Runs SQLite's and FTS5's own consistency checks; throws <see cref="RagStoreException"/> on any finding.</summary>
    public void CheckIntegrity()
    {
        var result = Scalar<string?>("PRAGMA integrity_check");
        if (result != "ok") throw new RagStoreException($"{FilePath} failed integrity_check: {result}");
        try { Execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)"); }
        catch (SqliteException e) { throw new RagStoreException($"{FilePath}: the full-text index disagrees with the chunks: {e.Message}", e); }
    }

    public void Dispose() => _connection.Dispose();

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

    SqliteCommand Command(string sql, SqliteTransaction? tx, params (string Name, object Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }

    void Execute(string sql, SqliteTransaction? tx = null, params (string, object)[] parameters)
    {
        using var command = Command(sql, tx, parameters);
        command.ExecuteNonQuery();
    }

    T Scalar<T>(string sql, params (string, object)[] parameters) => Scalar<T>(sql, null, parameters);

    T Scalar<T>(string sql, SqliteTransaction? tx, params (string, object)[] parameters)
    {
        using var command = Command(sql, tx, parameters);
        var value = command.ExecuteScalar();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T));
    }
}
