using System.CommandLine;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Evaluation;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;
using Spectre.Console;

namespace PhiSharp.Cli.Commands;

/// <summary>`phi rag ingest | search | eval | ask`: a document index in one SQLite file or a PostgreSQL database.</summary>
static class RagCommand
{
    static readonly Option<string> Db = new("--db")
    {
        Description = "The RAG database: a SQLite file, or PostgreSQL + pgvector as postgres://user:password@host:port/database",
        Required = true,
    };
    static readonly Option<int> Top = new("--top", "-k") { Description = "How many chunks to return", DefaultValueFactory = _ => 5 };

    public static Command Create()
    {
        var command = new Command("rag", "Index documents and search them (retrieval-augmented generation)");
        command.Subcommands.Add(Ingest());
        command.Subcommands.Add(Search());
        command.Subcommands.Add(Eval());
        command.Subcommands.Add(RagAskCommand.Create(Db, Top));
        return command;
    }

    static Command Ingest()
    {
        var paths = new Argument<string[]>("paths") { Description = "Files and folders to index (folders recursively)", Arity = ArgumentArity.OneOrMore };
        var chunkTokens = new Option<int>("--chunk-tokens") { Description = "Largest chunk, in tokens (estimated from words)", DefaultValueFactory = _ => 256 };
        var overlap = new Option<int>("--overlap") { Description = "Tokens of the previous chunk repeated at the start of the next", DefaultValueFactory = _ => 32 };
        var command = new Command("ingest", "Add or update files in the database; unchanged files are skipped, unsupported ones listed, and documents of files deleted from the given folders removed");
        command.Arguments.Add(paths);
        command.Options.Add(Db);
        command.Options.Add(chunkTokens);
        command.Options.Add(overlap);
        command.Options.Add(RagEmbedding.Model);
        command.SetAction((parse, cancel) => Guard(async () =>
        {
            var chunker = new Chunker(parse.GetValue(chunkTokens), parse.GetValue(overlap));
            var db = parse.GetValue(Db)!;
            var given = parse.GetValue(paths)!;
            var found = Ingestor.FindFiles(given, exclude: PostgresUrl.IsPostgres(db) ? null : db);
            var folders = given.Where(Directory.Exists).ToList();
            using var embedder = RagEmbedding.ForIngest(parse);
            using var companion = RagEmbedding.CompanionForIngest(parse);
            using var store = RagStore.Open(db, create: true);
            var ingestor = new Ingestor(store, chunker, embedder, companion: companion);
            var report = await ProgressDisplay.RunAsync(plain: false, announceEnd: false, progress => ingestor.IngestAsync(found, folders,
                new SynchronousProgress(p => progress.Report(new WorkProgress("ingesting", "", p.Done, p.Total, WorkUnit.Files))), cancel));
            foreach (var skipped in report.Skipped)
                AnsiConsole.MarkupLineInterpolated($"[yellow]skipped[/] {DocumentPath.Display(skipped.Path)}: {skipped.Reason}");
            var counts = store.Counts();
            AnsiConsole.WriteLine($"{report.Added} added, {report.Updated} updated, {report.Unchanged} unchanged, {report.Removed} removed, {report.Skipped.Count} skipped; " +
                                  $"{report.Chunks} chunks written; the database holds {counts.Documents} documents in {counts.Chunks} chunks" +
                                  (embedder is null ? " (no vectors: lexical search only)" : $", {counts.Vectors} with vectors by '{embedder.Metadata.DefaultModelId}'"
                                   + (companion is null ? "" : $" and '{EmbeddingModelRecord.IdOf(companion.Embedder)}'")));
            return 0;
        }));
        return command;
    }

    static Command Search()
    {
        var query = new Argument<string>("query") { Description = "What to look for" };
        var json = new Option<bool>("--json") { Description = "Print {\"hits\": [{\"path\", \"chunk\", \"score\", \"text\"}]}" };
        var command = new Command("search", "Print the chunks that best match a query (full-text ranking: BM25 in SQLite, ts_rank_cd in PostgreSQL; vectors too with --embed-model)");
        command.Options.Add(Db);
        command.Options.Add(Top);
        command.Options.Add(json);
        command.Options.Add(RagEmbedding.Model);
        command.Options.Add(RagEmbedding.Mode);
        command.Options.Add(RagEmbedding.Mmr);
        command.Arguments.Add(query);
        command.SetAction((parse, cancel) => Guard(async () =>
        {
            using var store = RagStore.Open(parse.GetValue(Db)!, create: false);
            using var embedder = RagEmbedding.ForSearch(parse, store);
            using var companion = RagEmbedding.CompanionForSearch(parse, store, embedder);
            var hits = await new Retriever(store, embedder, companion).SearchAsync(parse.GetValue(query)!, parse.GetValue(Top), parse.GetValue(RagEmbedding.Mode),
                parse.GetValue(RagEmbedding.Mmr), cancel);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    hits = hits.Select(h => new { path = DocumentPath.Display(h.Path), chunk = h.Ordinal, score = h.Score, text = h.Text }),
                }));
                return 0;
            }
            if (hits.Count == 0) AnsiConsole.WriteLine("no matches");
            for (int i = 0; i < hits.Count; i++)
            {
                var h = hits[i];
                AnsiConsole.MarkupLineInterpolated($"[bold]{i + 1}. {DocumentPath.Display(h.Path)}#{h.Ordinal}[/] [grey]score {h.Score:F3}{(h.Heading is null ? "" : " · " + h.Heading)}[/]");
                AnsiConsole.WriteLine(h.Text);
                AnsiConsole.WriteLine();
            }
            return 0;
        }));
        return command;
    }

    static Command Eval()
    {
        var questions = new Option<string>("--questions") { Description = "JSON lines: {\"question\": \"...\", \"relevant\": [\"path\", ...]}", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON" };
        var command = new Command("eval", "Measure retrieval: recall@1/3/5/10 and MRR over a question set");
        command.Options.Add(Db);
        command.Options.Add(questions);
        command.Options.Add(json);
        command.Options.Add(RagEmbedding.Model);
        command.Options.Add(RagEmbedding.Mode);
        command.Options.Add(RagEmbedding.Mmr);
        command.SetAction((parse, cancel) => Guard(async () =>
        {
            var set = RetrievalEvaluation.ReadQuestions(parse.GetValue(questions)!);
            using var store = RagStore.Open(parse.GetValue(Db)!, create: false);
            using var embedder = RagEmbedding.ForSearch(parse, store);
            using var companion = RagEmbedding.CompanionForSearch(parse, store, embedder);
            var retriever = new Retriever(store, embedder, companion);
            var mode = parse.GetValue(RagEmbedding.Mode) ?? retriever.DefaultMode;
            var result = await RetrievalEvaluation.RunAsync(retriever, set, mode, parse.GetValue(RagEmbedding.Mmr), cancel);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    mode = mode.ToString().ToLowerInvariant(), questions = result.Questions, mrr = result.Mrr,
                    recall = result.RecallAt.ToDictionary(p => p.Key.ToString(), p => p.Value),
                }));
                return 0;
            }
            var table = new Table().AddColumn("retrieval").AddColumn("questions");
            foreach (var k in RetrievalEvaluation.CutOffs) table.AddColumn($"recall@{k}");
            table.AddColumn("MRR");
            string lexical = store is PostgresRagStore ? "lexical (ts_rank_cd)" : "lexical (BM25)";
            string label = mode switch { RetrievalMode.Lexical => lexical, RetrievalMode.Vector => "vector (cosine)", _ => "hybrid" };
            table.AddRow([ label, result.Questions.ToString(), .. RetrievalEvaluation.CutOffs.Select(k => result.RecallAt[k].ToString("F3")), result.Mrr.ToString("F3") ]);
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    /// <summary><see cref="ModelArguments.Guard"/> plus the errors a store can raise.</summary>
    public static Task<int> Guard(Func<Task<int>> body) => ModelArguments.Guard(async () =>
    {
        try { return await body(); }
        catch (RagStoreException e) { throw new InvalidOperationException(e.Message, e); }
        catch (SqliteException e) { throw new IOException($"database error: {e.Message}", e); }
        catch (PostgresException e) { throw new IOException($"PostgreSQL error: {e.MessageText}", e); }
        catch (NpgsqlException e) { throw new IOException($"PostgreSQL connection error: {e.GetBaseException().Message}", e); }
    });

    /// <summary>Progress reported on the calling thread (System.Progress would post to the thread pool, out of order).</summary>
    sealed class SynchronousProgress(Action<IngestProgress> report) : IProgress<IngestProgress>
    {
        public void Report(IngestProgress value) => report(value);
    }
}
