using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace PhiSharp.Server.Tests.ChatPage;

/// <summary>
/// Stands in for the model, so the page's real code (fetch, stream parsing, rendering) handles a reply whose text the
/// test chooses, hostile text included: through Playwright's route interception of /v1/chat/completions (recording the
/// request bodies the page sent), or, where the answer must arrive over time, a stream fed piece by piece.
/// </summary>
public sealed class CannedChat
{
    readonly Func<JsonObject, int, string> _reply;
    public List<JsonObject> Requests { get; } = [];

    /// <param name="reply">The answer's text for a request body and its number (0, 1, ...).</param>
    CannedChat(Func<JsonObject, int, string> reply) => _reply = reply;

    public static async Task<CannedChat> RouteAsync(IPage page, Func<JsonObject, int, string> reply)
    {
        var chat = new CannedChat(reply);
        await page.RouteAsync("**/v1/chat/completions", route =>
        {
            var body = JsonNode.Parse(route.Request.PostData!)!.AsObject();
            int number;
            lock (chat.Requests) { number = chat.Requests.Count; chat.Requests.Add(body); }
            return route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/event-stream", Body = Stream(chat._reply(body, number)) });
        });
        return chat;
    }

    public static Task<CannedChat> RouteAsync(IPage page, string reply) => RouteAsync(page, (_, _) => reply);

    /// <summary>An error the server could answer, e.g. 503 server_busy, in OpenAI's shape.</summary>
    public static Task RouteErrorAsync(IPage page, int status, string code, string message) =>
        page.RouteAsync("**/v1/chat/completions", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = status,
            ContentType = "application/json",
            Body = JsonSerializer.Serialize(new { error = new { message, type = "invalid_request_error", param = (string?)null, code } }),
        }));

    /// <summary>The text as `phi serve` streams it: a chunk per few characters, the finish chunk, usage, [DONE].</summary>
    public static string Stream(string text, int pieceLength = 3)
    {
        var events = new List<object>();
        for (int i = 0; i < text.Length; i += pieceLength)
            events.Add(Chunk(new { content = text.Substring(i, Math.Min(pieceLength, text.Length - i)) }, null));
        events.Add(Chunk(new { }, "stop"));
        int tokens = (text.Length + pieceLength - 1) / pieceLength;
        events.Add(new { id = "chatcmpl-canned", @object = "chat.completion.chunk", created = 0, model = "canned", choices = Array.Empty<object>(),
            usage = new { prompt_tokens = 10, completion_tokens = tokens, total_tokens = 10 + tokens } });
        return string.Concat(events.Select(e => "data: " + JsonSerializer.Serialize(e) + "\n\n")) + "data: [DONE]\n\n";
    }

    static object Chunk(object delta, string? finishReason) => new
    {
        id = "chatcmpl-canned", @object = "chat.completion.chunk", created = 0, model = "canned",
        choices = new[] { new { index = 0, delta, logprobs = (object?)null, finish_reason = finishReason } },
    };

    /// <summary>
    /// A script for <c>AddInitScriptAsync</c> that answers the page's chat requests with the pieces, one every
    /// <paramref name="millisecondsApart"/> ms, through a ReadableStream (Playwright's routes deliver a body at once), so
    /// the page's own fetch-and-parse code sees an answer arrive over time.
    /// </summary>
    public static string TimedStreamScript(IEnumerable<string> pieces, int millisecondsApart)
    {
        var list = pieces.ToList();
        return $$"""
            (() => {
              const pieces = {{JsonSerializer.Serialize(list)}};
              const realFetch = window.fetch;
              window.fetch = (url, init) => {
                if (!String(url).endsWith("/v1/chat/completions")) return realFetch(url, init);
                const encoder = new TextEncoder();
                const event = data => encoder.encode("data: " + JSON.stringify(data) + "\n\n");
                let i = 0;
                const body = new ReadableStream({
                  pull(controller) {
                    return new Promise(resolve => setTimeout(() => {
                      if (i < pieces.length) controller.enqueue(event({ choices: [{ index: 0, delta: { content: pieces[i++] }, finish_reason: null }] }));
                      else {
                        controller.enqueue(event({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }));
                        controller.enqueue(event({ choices: [], usage: { prompt_tokens: 5, completion_tokens: pieces.length, total_tokens: pieces.length + 5 } }));
                        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
                        controller.close();
                      }
                      resolve();
                    }, {{millisecondsApart}}));
                  },
                });
                return Promise.resolve(new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } }));
              };
            })();
            """;
    }
}
