using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Tests.Cli;

/// <summary>
/// `phi rag ingest` given what is not a tree of documents, as a real process: link loops, FIFOs, sockets, devices,
/// unreadable entries, and a --db file that is not a store. Every run has a time limit, so a hang fails the test.
/// </summary>
[UnsupportedOSPlatform("windows")] // FIFOs, Unix sockets, /dev/null, permission bits
public sealed class RagIngestInputTests : IDisposable
{
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    readonly TempDirectory _dir = new();
    string Db => _dir.File("rag.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Each_folder_is_searched_once_however_many_links_lead_to_it()
    {
        _dir.Write("t/real/a.txt", "cats purr");
        _dir.Write("outside/b.txt", "volcano basalt lava");
        Directory.CreateSymbolicLink(_dir.File("t/real/up"), "..");                    // a loop back up the tree
        Directory.CreateSymbolicLink(_dir.File("t/real/again"), "../real");            // a second way into a folder
        Directory.CreateSymbolicLink(_dir.File("t/out"), _dir.File("outside"));       // a folder outside the tree is followed,
        Directory.CreateSymbolicLink(_dir.File("t/real/out2"), _dir.File("outside")); // once

        var (exit, output, error) = Phi.Run(Limit, _dir.Path, "rag", "ingest", _dir.File("t"), "--db", Db);
        output = Unwrapped(output);

        Assert.True(exit == 0, error);
        using (var store = SqliteRagStore.Open(Db, create: false))
            Assert.Equal([_dir.File("t/out/b.txt"), _dir.File("t/real/a.txt")], store.DocumentsUnder(_dir.File("t")).Order());
        Assert.Contains("2 added", output);
        Assert.Contains("skipped t/real/again: the same folder as ", output);
        Assert.Contains("skipped t/real/out2: the same folder as ", output);
        Assert.Contains("skipped t/real/up: the same folder as ", output);
    }

    [Fact]
    public void Fifos_sockets_and_devices_are_skipped_not_read()
    {
        _dir.Write("docs/a.txt", "cats purr");
        MakeFifo(_dir.File("docs/pipe.txt")); // opening it to read would wait for a writer that never comes
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(_dir.File("docs/socket.md")));

        var (exit, output, error) = Phi.Run(Limit, _dir.Path, "rag", "ingest", _dir.File("docs"), "/dev/null", "--db", Db);
        output = Unwrapped(output);

        Assert.True(exit == 0, error);
        Assert.Contains("1 added", output);
        Assert.Contains("skipped docs/pipe.txt: not a regular file (a FIFO)", output);
        Assert.Contains("skipped docs/socket.md: not a regular file (a socket)", output);
        Assert.Contains("skipped /dev/null: not a regular file (a character device)", output);
    }

    [Fact]
    public void A_fifo_named_alone_is_an_error_at_once()
    {
        MakeFifo(_dir.File("pipe.md"));

        var (exit, _, error) = Phi.Run(Limit, _dir.Path, "rag", "ingest", _dir.File("pipe.md"), "--db", Db);

        Assert.Equal(1, exit);
        Assert.StartsWith("error: no files found", error);
        Assert.Contains("pipe.md: not a regular file (a FIFO)", error);
        Assert.False(File.Exists(Db));
    }

    // Permissions are real: phi runs without root's override of them (see Phi.RunWithoutPermissionOverride).
    [Fact]
    public void Unreadable_folders_and_files_are_reported_and_what_they_stored_is_kept()
    {
        _dir.Write("docs/a.txt", "cats purr");
        _dir.Write("docs/locked/b.txt", "volcano basalt lava");
        _dir.Write("docs/secret.txt", "heron shallow water");
        Assert.Equal(0, Phi.Run(Limit, _dir.Path, "rag", "ingest", _dir.File("docs"), "--db", Db).Exit);
        File.SetUnixFileMode(_dir.File("docs/locked"), UnixFileMode.None);
        File.SetUnixFileMode(_dir.File("docs/secret.txt"), UnixFileMode.None);
        try
        {
            var (exit, output, error) = Phi.RunWithoutPermissionOverride(_dir.Path, "rag", "ingest", _dir.File("docs"), "--db", Db);
            output = Unwrapped(output);

            Assert.True(exit == 0, error);
            Assert.Contains("skipped docs/locked: unreadable: ", output);
            Assert.Contains("skipped docs/secret.txt: unreadable: ", output);
            Assert.Contains("0 added, 0 updated, 1 unchanged, 0 removed, 2 skipped", output);
            Assert.Contains("the database holds 3 documents", output);
        }
        finally
        {
            File.SetUnixFileMode(_dir.File("docs/locked"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void A_db_file_that_is_not_a_store_is_refused_and_left_as_it_was()
    {
        _dir.Write("docs/a.txt", "cats purr");
        string[] notStores = [_dir.Write("empty.db", ""), _dir.Write("notes.txt", "my notes\n"), EmptySqliteDatabase(_dir.File("blank.db"))];
        foreach (var db in notStores)
        {
            var before = File.ReadAllBytes(db);

            var (exit, _, error) = Phi.Run(Limit, _dir.Path, "rag", "ingest", _dir.File("docs"), "--db", db);

            Assert.Equal(1, exit);
            Assert.StartsWith($"error: {db} ", error);
            Assert.Contains("not a PhiSharp RAG store", error);
            Assert.Single(error.TrimEnd().Split('\n'));
            Assert.Equal(before, File.ReadAllBytes(db));
            Assert.False(File.Exists(db + "-wal"), db);
        }
    }

    /// <summary>The console output with Spectre's line wrapping (at 80 columns when redirected) undone.</summary>
    static string Unwrapped(string output) => Regex.Replace(output, @"\s+", " ");

    static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    /// <summary>A valid SQLite file with no tables at all (the header and an empty schema).</summary>
    static string EmptySqliteDatabase(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version = 7";
        command.ExecuteNonQuery();
        return path;
    }
}
