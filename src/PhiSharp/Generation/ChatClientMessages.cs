using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using PhiSharp.Models.Phi3Vision;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using PhiChatMessage = PhiSharp.Tokenizers.ChatMessage;

namespace PhiSharp.Generation;

/// <summary>Microsoft.Extensions.AI messages as the chat template's turns, and call arguments back as MEAI's values.</summary>
internal static class ChatClientMessages
{
    /// <summary>
    /// One turn per message, except a tool message: one tool turn per FunctionResultContent (with the name of the call
    /// it answers, found in the history). An assistant message's FunctionCallContents become its tool calls. Images
    /// (DataContent with an image/* media type) are decoded into <paramref name="images"/> in order and stand in their
    /// message's text as <c>&lt;|image_n|&gt;</c> lines before it; other binary content is refused.
    /// </summary>
    public static IEnumerable<PhiChatMessage> Turns(IEnumerable<AiChatMessage> messages, List<RgbImage> images)
    {
        var names = new Dictionary<string, string>();
        foreach (var m in messages)
        {
            var calls = m.Contents.OfType<FunctionCallContent>().ToList();
            var results = m.Contents.OfType<FunctionResultContent>().ToList();
            foreach (var call in calls) names[call.CallId] = call.Name;
            if (results.Count > 0)
            {
                foreach (var r in results)
                    yield return new PhiChatMessage("tool", Result(r.Result)) { ToolCallId = r.CallId, Name = names.GetValueOrDefault(r.CallId) };
                continue;
            }
            yield return new PhiChatMessage(m.Role.Value, ImageTags(m, images) + m.Text)
            {
                ToolCalls = calls.Count == 0 ? null
                    : calls.Select(c => new Tokenizers.ChatToolCall(c.CallId, c.Name, Json(c.Arguments ?? new Dictionary<string, object?>()))).ToList(),
            };
        }
    }

    static string ImageTags(AiChatMessage message, List<RgbImage> images)
    {
        var tags = new StringBuilder();
        foreach (var data in message.Contents.OfType<DataContent>())
        {
            if (!data.HasTopLevelMediaType("image"))
                throw new NotSupportedException($"PhiChatClient reads text and images; a message holds '{data.MediaType}' content.");
            images.Add(ImageDecoder.Decode(data.Data.ToArray(), name: $"image {images.Count + 1}"));
            tags.Append($"<|image_{images.Count}|>\n");
        }
        return tags.ToString();
    }

    /// <summary>
    /// A call with its arguments (a JSON object's text) as name → JsonElement, which AIFunction binds to parameters.
    /// Constrained calls always parse; arguments that do not (a variant the model wrote unconstrained) are reported as
    /// the call's Exception, which FunctionInvokingChatClient hands back to the model.
    /// </summary>
    public static FunctionCallContent Call(string callId, string name, string json)
    {
        var arguments = new Dictionary<string, object?>();
        try
        {
            using var document = JsonDocument.Parse(json.Length == 0 ? "{}" : json);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
                foreach (var p in document.RootElement.EnumerateObject()) arguments[p.Name] = p.Value.Clone();
        }
        catch (JsonException e)
        {
            return new FunctionCallContent(callId, name) { Exception = new InvalidOperationException($"The arguments of the call of '{name}' are not JSON: {json}", e) };
        }
        return new FunctionCallContent(callId, name, arguments);
    }

    static string Result(object? result) => result switch
    {
        null => "",
        string text => text,
        JsonElement e => e.GetRawText(),
        _ => Json(result),
    };

    static string Json(object value) => JsonSerializer.Serialize(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object)));
}
