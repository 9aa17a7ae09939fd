using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PhiSharp.Models;
using PhiSharp.Models.Bert;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;
using PhiSharp.Server.Embeddings;
using PhiSharp.Server.Rag;

namespace PhiSharp.Server;

/// <summary>
/// `phi serve`: an OpenAI-compatible HTTP server for one loaded model (/v1/chat/completions, /v1/completions,
/// /v1/models, /health), optionally an embedding model (/v1/embeddings) and a document store (grounded chat with
/// "rag"), and the chat page at /. Client mistakes get OpenAI-shaped errors with a 4xx status.
/// </summary>
public sealed class PhiServer : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ServedModel _served;
    readonly string _endpoints;

    PhiServer(WebApplication app, ServedModel served, string endpoints) => (_app, _served, _endpoints) = (app, served, endpoints);

    /// <summary>The address the server listens on (with the real port when <see cref="ServerOptions.Port"/> was 0).</summary>
    public Uri Address => new(_app.Urls.First());

    /// <summary>The id clients name in "model".</summary>
    public string ModelId => _served.Id;

    /// <summary>Builds the server; the models and the store stay owned by the caller and must outlive it.</summary>
    /// <param name="ragCompanion">Hybrid retrieval's second model (<see cref="DenseCompanion"/>), used when the store has its vectors.</param>
    public static PhiServer Create(LanguageModel model, ServerOptions options, BertEmbeddingGenerator? embedder = null, IRagStore? ragStore = null,
        DenseCompanion? ragCompanion = null)
    {
        options.Validate();
        var addresses = ListenAddresses.Resolve(options.Host, options.Port);
        var hosts = new LoopbackHosts(options.Host, addresses);
        // Without --ctx a slot takes the model's context, at most 4096; a larger --ctx, or more slots than memory holds, is refused.
        int context = options.ContextLength ?? model.Info.DefaultContextLength;
        KvCacheBudget.Check(model.Info, context, options.Parallel, contextName: "--ctx", sequencesName: "--parallel");
        string id = options.ModelId ?? model.Info.Name;
        var servedEmbedder = embedder is null ? null : new ServedEmbedder(embedder);
        // A decoding slot holds a thread-pool thread, blocked while its step runs or waits for the others' rows. With
        // the pool's default minimum (one thread per core) N slots starve the continuations that bring the others'
        // next tokens, and batched steps fall apart while the pool adds threads at its slow pace.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, options.Parallel + Environment.ProcessorCount), io);
        var served = new ServedModel(model, id, new SlotPool(model.Network, options.Parallel, context, options.QueueLimit), options,
            servedEmbedder, ragStore is null ? null : new ServedRag(ragStore, servedEmbedder, ragCompanion));

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The host logs a failed start with its stack trace before rethrowing; StartAsync turns that failure into one
        // ListenException line for the caller, so the log would only repeat it at length.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.WebHost.ConfigureKestrel(k =>
        {
            foreach (var address in addresses) k.Listen(address, options.Port);
            // The body size limit is enforced while reading, where it can be answered in OpenAI's error shape.
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();

        app.Use(async (http, next) =>
        {
            try
            {
                if (!hosts.Allows(http.Request.Host))
                    throw new ApiException(403, $"This server listens on loopback and answers only requests addressed to it (localhost, a loopback address or '{options.Host}'), not to '{http.Request.Host}'.", code: "host_not_allowed");
                if (options.ApiKey is { } key && http.Request.Path.StartsWithSegments("/v1") && !Authorized(http.Request, key))
                    throw new ApiException(401, "Invalid or missing API key: send 'Authorization: Bearer <key>'.", code: "invalid_api_key");
                await next(http);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                // The client went away; its slot was freed when the generation unwound.
            }
            catch (IOException) when (http.RequestAborted.IsCancellationRequested)
            {
            }
            catch (ApiException e) when (!http.Response.HasStarted)
            {
                await e.WriteAsync(http.Response);
            }
            catch (BadHttpRequestException e) when (!http.Response.HasStarted)
            {
                await new ApiException(e.StatusCode, e.Message).WriteAsync(http.Response);
            }
        });

        app.MapPost("/v1/chat/completions", (HttpContext http) => ChatCompletionsEndpoint.HandleAsync(http, served));
        app.MapPost("/v1/completions", (HttpContext http) => CompletionsEndpoint.HandleAsync(http, served));
        app.MapPost("/v1/embeddings", (HttpContext http) => EmbeddingsEndpoint.HandleAsync(http, served));
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = ModelIds(served).Select(id => ModelObject(served, id)) }, JsonOptions.Wire));
        app.MapGet("/v1/models/{id}", (string id) => ModelIds(served).Contains(id)
            ? Results.Json(ModelObject(served, id), JsonOptions.Wire)
            : throw new ApiException(404, $"The model '{id}' does not exist; this server serves {string.Join(" and ", ModelIds(served).Select(m => $"'{m}'"))}.", "model", "model_not_found"));
        // With an API key, only a caller who sends it learns what is served and how busy it is.
        app.MapGet("/health", (HttpContext http) => Results.Json(options.ApiKey is { } key && !Authorized(http.Request, key)
            ? new { status = "ok" }
            : Health(served), JsonOptions.Wire));
        ChatPage.Map(app);
        app.MapFallback((HttpContext http) =>
            throw new ApiException(404, $"No endpoint {http.Request.Method} {http.Request.Path}.", code: "unknown_url"));
        return new PhiServer(app, served, string.Join(" and ", addresses.Select(a => new IPEndPoint(a, options.Port))));
    }

    /// <summary>What /health tells a caller allowed to know: the models, and how busy the slots are.</summary>
    static object Health(ServedModel served) => new
    {
        status = "ok",
        model = served.Id,
        embedding_model = served.Embedder?.Id,
        rag = served.Rag is not null,
        slots = new { total = served.Slots.Count, busy = served.Slots.Busy, context = served.Slots.ContextLength },
        queued = served.Slots.Waiting,
    };

    /// <summary>The chat model first, then the embedding model when there is one.</summary>
    static string[] ModelIds(ServedModel served) => served.Embedder is { } e ? [served.Id, e.Id] : [served.Id];

    static object ModelObject(ServedModel served, string id) => new { id, @object = "model", created = served.Created, owned_by = "phisharp" };

    static bool Authorized(HttpRequest request, string key)
    {
        string header = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (!header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)) return false;
        // Constant-time comparison, so response timing does not reveal how much of a guess was right.
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[bearer.Length..].Trim()), Encoding.UTF8.GetBytes(key));
    }

    /// <summary>Starts listening; an address that cannot be bound (not this machine's, or its port taken) is a <see cref="ListenException"/>.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        try
        {
            await _app.StartAsync(ct);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // Kestrel reports a taken port as an IOException around the socket's error, an address it cannot assign
            // as the bare SocketException; the socket's own words say which.
            throw new ListenException($"Cannot listen on {_endpoints}: {e.GetBaseException().Message}.", e);
        }
    }

    /// <summary>Runs until <paramref name="ct"/> fires (or the process is told to stop).</summary>
    public async Task RunAsync(CancellationToken ct = default)
    {
        await StartAsync(ct);
        await _app.WaitForShutdownAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _served.Slots.Dispose();
        _served.Rag?.Dispose();
        _served.Embedder?.Dispose();
    }
}
