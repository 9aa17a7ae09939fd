using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using PhiSharp.Models;
using PhiSharp.Models.Bert;
using PhiSharp.Rag.Storage;
using PhiSharp.Tests.Models;

namespace PhiSharp.Server.Tests;

/// <summary>
/// A real `phi serve` (Kestrel on 127.0.0.1, a free port) over the tiny random Phi-3 GGUF, and an HttpClient for it.
/// The network is wrapped to count the tokens it evaluates, and <paramref name="stepDelay"/> slows every forward pass,
/// so a request is still decoding when a test needs it to be.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("phisharp-server-").FullName;
    readonly LanguageModel _loaded;
    readonly PhiServer _server;
    readonly BertEmbeddingGenerator? _embedder;

    public LanguageModel Model { get; }
    readonly InstrumentedNetwork? _network;
    internal InstrumentedNetwork Network => _network ?? throw new InvalidOperationException("A server of a model folder is not instrumented.");
    public HttpClient Http { get; }
    public Uri Address => _server.Address;
    public string ModelId => _server.ModelId;

    TestServer(ServerOptions options, TimeSpan stepDelay, string? embedModel, IRagStore? ragStore, Action<TinyPhi3Gguf.Options>? model,
        Func<LanguageModel>? load = null)
    {
        if (load is not null)
        {
            // Served as loaded: the image encoder needs the model's own network, so this one is not instrumented.
            Model = _loaded = load();
        }
        else
        {
            string path = Path.Combine(_directory, "tiny-phi3.gguf");
            // Grounded prompts carry sources, and every byte is a token to this vocabulary.
            TinyPhi3Gguf.Write(path, o =>
            {
                o.ContextLength = ragStore is null ? 256u : 4096u;
                model?.Invoke(o);
            });
            _loaded = LanguageModel.Load(path, new LoadOptions { Threads = 1 });
            _network = new InstrumentedNetwork(_loaded.Network, stepDelay);
            Model = new LanguageModel
            {
                Info = _loaded.Info,
                Network = _network,
                Tokenizer = _loaded.Tokenizer,
                ChatTemplate = _loaded.ChatTemplate,
                StopTokenIds = _loaded.StopTokenIds,
            };
        }
        _embedder = embedModel is null ? null : BertEmbeddingGenerator.Load(embedModel, threads: 1);
        try
        {
            _server = PhiServer.Create(Model, options with { Host = "127.0.0.1", Port = 0 }, _embedder, ragStore);
        }
        catch
        {
            // A server refused at start (the tests of bad options expect that) leaves nothing behind.
            _embedder?.Dispose();
            _loaded.Dispose();
            Directory.Delete(_directory, recursive: true);
            throw;
        }
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <param name="embedModel">An embedding model to serve at /v1/embeddings (the server's --embed-model).</param>
    /// <param name="ragStore">The documents for chat with "rag" (the server's --rag-db); the caller disposes it.</param>
    /// <param name="model">Changes the tiny model (a Phi-4-mini-like one, a longer context).</param>
    public static async Task<TestServer> StartAsync(ServerOptions? options = null, TimeSpan stepDelay = default, string? embedModel = null,
        IRagStore? ragStore = null, Action<TinyPhi3Gguf.Options>? model = null)
    {
        var server = new TestServer(options ?? new ServerOptions { Parallel = 2 }, stepDelay, embedModel, ragStore, model);
        await server._server.StartAsync();
        server.Http.BaseAddress = server.Address;
        return server;
    }

    /// <summary>A server of the model <paramref name="load"/> gives (owned and disposed by the server).</summary>
    public static async Task<TestServer> StartAsync(Func<LanguageModel> load, ServerOptions options)
    {
        var server = new TestServer(options, default, null, null, null, load);
        await server._server.StartAsync();
        server.Http.BaseAddress = server.Address;
        return server;
    }

    public Task<HttpResponseMessage> PostAsync(string path, string json, string? apiKey = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return Http.SendAsync(request, completion, ct);
    }

    /// <summary>Posts raw bytes with the given Content-Type header (none when null): bodies a JSON serializer would not write.</summary>
    public Task<HttpResponseMessage> PostBytesAsync(string path, byte[] body, string? contentType = "application/json")
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return Http.PostAsync(path, content);
    }

    public async Task<(int Status, JsonElement Body)> PostJsonAsync(string path, object body, string? apiKey = null)
    {
        using var response = await PostAsync(path, JsonSerializer.Serialize(body), apiKey);
        return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _server.DisposeAsync();
        _embedder?.Dispose();
        _loaded.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Counts the tokens evaluated and sleeps before each forward pass of the real network.</summary>
    internal sealed class InstrumentedNetwork(ICausalLanguageModel inner, TimeSpan delay) : ICausalLanguageModel
    {
        readonly TimeSpan _delay = delay;
        long _evaluated;

        /// <summary>Tokens passed to Append over all sessions so far.</summary>
        public long Evaluated => Interlocked.Read(ref _evaluated);

        public int VocabSize => inner.VocabSize;
        public int MaxContextLength => inner.MaxContextLength;
        public IInferenceSession CreateSession(int contextLength) => new Session(this, inner.CreateSession(contextLength));
        public void Dispose() { } // the inner network belongs to the loaded model

        sealed class Session(InstrumentedNetwork network, IInferenceSession inner) : IInferenceSession
        {
            public int ContextLength => inner.ContextLength;
            public int Length => inner.Length;
            public ReadOnlySpan<int> Tokens => inner.Tokens;
            public void Append(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions = false)
            {
                if (network._delay > TimeSpan.Zero) Thread.Sleep(network._delay);
                Interlocked.Add(ref network._evaluated, tokens.Length);
                inner.Append(tokens, logits, allPositions);
            }
            public void Truncate(int length) => inner.Truncate(length);
            public void EndTurn() => inner.EndTurn();
            public void Dispose() => inner.Dispose();
        }
    }
}

/// <summary>Parses an OpenAI event stream: every event must be one <c>data: </c> line followed by a blank line.</summary>
public static class EventStream
{
    /// <summary>The payloads in order, "[DONE]" included; throws on anything that is not well-formed SSE.</summary>
    public static List<string> Parse(string body)
    {
        Assert.EndsWith("\n\n", body);
        var events = body[..^2].Split("\n\n");
        return events.Select(e =>
        {
            Assert.StartsWith("data: ", e);
            Assert.DoesNotContain('\n', e);
            return e["data: ".Length..];
        }).ToList();
    }
}
