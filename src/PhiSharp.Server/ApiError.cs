using System.Text.Json;

namespace PhiSharp.Server;

/// <summary>
/// A request the server refuses, with the status and the OpenAI error object
/// (<c>{"error": {"message", "type", "param", "code"}}</c>) that say why.
/// </summary>
public sealed class ApiException(int status, string message, string? param = null, string? code = null, string? type = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    /// <summary>OpenAI's error type: invalid_request_error for client faults, server_error otherwise.</summary>
    public string Type { get; } = type ?? (status >= 500 ? "server_error" : "invalid_request_error");

    public static ApiException BadRequest(string message, string? param = null, string? code = null) => new(400, message, param, code);

    public object Body => ErrorBody(Message, Type, Param, Code);

    public static object ErrorBody(string message, string type, string? param, string? code) =>
        new { error = new { message, type, param, code } };

    public Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = Status;
        if (Status == 503) response.Headers.RetryAfter = "1";
        return response.WriteAsJsonAsync(Body, JsonOptions.Wire);
    }
}

static class JsonOptions
{
    /// <summary>Property names are written as declared (already snake_case); nulls are written, as OpenAI does.</summary>
    public static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = null };
}
