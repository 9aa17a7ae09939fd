using System.CommandLine;
using PhiSharp.Models.Bert;
using PhiSharp.Rag.Embedding;
using PhiSharp.Rag.Storage;
using PhiSharp.Server;

namespace PhiSharp.Cli.Commands;

static class ServeCommand
{
    public static Command Create()
    {
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one)", DefaultValueFactory = _ => 8080 };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' on /v1 requests" };
        var parallel = new Option<int>("--parallel") { Description = "Requests decoded at once, each with its own KV cache (all of them must fit the available memory)", DefaultValueFactory = _ => 1 };
        var queue = new Option<int>("--queue") { Description = "Requests that may wait for a slot before new ones get 503", DefaultValueFactory = _ => 64 };
        var context = new Option<int?>("--ctx") { Description = "Context length of each slot in tokens, at most the model's (default: the model's, at most 4096)" };
        var embedModel = new Option<string?>("--embed-model") { Description = "Embedding model (GGUF bert / nomic-bert, or a Hugging Face folder) served at /v1/embeddings and used by --rag-db; with --rag-db the default is the built-in all-MiniLM-L6-v2 ('none': lexical retrieval only)" };
        var ragDb = new Option<string?>("--rag-db") { Description = "RAG database (SQLite file or postgres:// URL, from `phi rag ingest`) for chat requests with \"rag\"" };
        var imageDir = new Option<string?>("--image-dir") { Description = "Folder whose images a file:// image_url may name (symlinks resolved; nothing outside it is read)" };
        var command = new Command("serve", "Serve the model over an OpenAI-compatible HTTP API, with a chat page at /");
        ModelArguments.AddTo(command);
        ModelArguments.AddChatFormatTo(command);
        foreach (var option in new Option[] { host, port, apiKey, parallel, queue, context, embedModel, ragDb, imageDir }) command.Options.Add(option);
        command.SetAction((parse, cancel) => RagCommand.Guard(async () =>
        {
            var options = new ServerOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                ApiKey = parse.GetValue(apiKey),
                Parallel = parse.GetValue(parallel),
                QueueLimit = parse.GetValue(queue),
                ContextLength = parse.GetValue(context),
                ImageDirectory = parse.GetValue(imageDir),
            };
            options.Validate();
            using var store = parse.GetValue(ragDb) is { } db ? RagStore.Open(db, create: false) : null;
            // Grounded chat retrieves with the store's model: the built-in one unless another (or none) is named.
            using var embedder = parse.GetValue(embedModel) switch
            {
                RagEmbedding.None => null,
                { } embedPath => BertEmbeddingGenerator.Load(embedPath),
                null when store is not null && store.Counts().Vectors > 0 => BuiltInEmbeddingModel.Load(),
                null => null,
            };
            using var model = ModelArguments.Load(parse, cancellation: cancel);
            await using var server = PhiServer.Create(model, options, embedder, store);
            await server.StartAsync(cancel);
            Console.WriteLine($"phi serve: '{server.ModelId}' at {server.Address} (chat page at /, API at /v1"
                + (embedder is null ? "" : $", embeddings by '{embedder.Metadata.DefaultModelId}'")
                + (store is null ? "" : ", grounded chat with \"rag\"" + (embedder is null ? " (lexical: no vectors)" : ""))
                + ") · Ctrl+C stops");
            // Completions still work; say now, not at the first chat request, why chat will not.
            if (model.ChatTemplate.Problem is { } problem) Console.Error.WriteLine($"warning: /v1/chat/completions will fail: {problem}");
            try
            {
                await Task.Delay(Timeout.Infinite, cancel);
            }
            catch (OperationCanceledException) { }
            return 0;
        }));
        return command;
    }
}
