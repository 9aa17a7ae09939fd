using System.Text;

namespace PhiSharp.Server.Tests;

/// <summary>
/// What a POST body must be before any field is read: sent as application/json (so a web page cannot post it without
/// a CORS preflight), valid Unicode text, and each key of an object given once.
/// </summary>
public sealed class RequestBodyTests(SharedServer shared) : IClassFixture<SharedServer>
{
    readonly TestServer _server = shared.Server;

    const string Chat = """{"messages": [{"role": "user", "content": "hello"}], "max_tokens": 2}""";

    static readonly string[] PostPaths = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"];

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/jsonp")]
    [InlineData(null)]
    public async Task A_post_not_sent_as_application_json_is_415_on_every_endpoint(string? contentType)
    {
        foreach (var path in PostPaths)
        {
            using var response = await _server.PostBytesAsync(path, Encoding.UTF8.GetBytes(Chat), contentType);
            await ErrorTests.AssertError(response, 415, null, "unsupported_media_type");
        }
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=\"UTF-8\"")]
    public async Task Application_json_with_or_without_a_utf8_charset_is_served(string contentType)
    {
        using var response = await _server.PostBytesAsync("/v1/chat/completions", Encoding.UTF8.GetBytes(Chat), contentType);
        Assert.Equal(200, (int)response.StatusCode);
    }

    /// <summary>Where <c>@</c> stands in the JSON text, the test puts bytes that are not valid Unicode.</summary>
    public static TheoryData<string, string, string?> Fields => new()
    {
        // path, JSON with @ inside a string, the param the error names
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi @"}]}""", "messages[0].content" },
        { "/v1/chat/completions", """{"messages": [{"role": "us@er", "content": "hi"}]}""", "messages[0].role" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": [{"type": "text", "text": "@"}]}]}""", "messages[0].content[0].text" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "stop": ["ok", "@"]}""", "stop[1]" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "model": "@"}""", "model" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "x@": 1}""", null },
        { "/v1/completions", """{"prompt": "once @ a time"}""", "prompt" },
        { "/v1/completions", """{"prompt": ["@"]}""", "prompt[0]" },
        { "/v1/embeddings", """{"input": ["fine", "@"]}""", "input[1]" },
    };

    [Theory]
    [MemberData(nameof(Fields))]
    public async Task Invalid_UTF8_in_a_string_is_400_naming_the_field(string path, string json, string? param)
    {
        // 0xFF never occurs in UTF-8; C0 80 is an overlong NUL; ED A0 80 is a UTF-16 surrogate encoded as UTF-8.
        foreach (var bad in new byte[][] { [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80] })
        {
            using var response = await _server.PostBytesAsync(path, With(json, bad));
            await ErrorTests.AssertError(response, 400, param, "invalid_unicode");
        }
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public async Task A_lone_surrogate_escape_in_a_string_is_400_naming_the_field(string path, string json, string? param)
    {
        foreach (var escape in new[] { @"\ud800", @"\udc00", @"\ud800\u0041" })
        {
            using var response = await _server.PostBytesAsync(path, With(json, Encoding.ASCII.GetBytes(escape)));
            await ErrorTests.AssertError(response, 400, param, "invalid_unicode");
        }
    }

    [Fact]
    public async Task A_surrogate_pair_escape_is_valid_text()
    {
        using var response = await _server.PostBytesAsync("/v1/chat/completions",
            With("""{"messages": [{"role": "user", "content": "@"}], "max_tokens": 2}""", Encoding.ASCII.GetBytes(@"\ud83d\ude00")));
        Assert.Equal(200, (int)response.StatusCode);
    }

    public static TheoryData<string, string> Duplicates => new()
    {
        // JSON with a key given twice, the param the error names
        { """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, "max_tokens": 2000}""", "max_tokens" },
        { """{"messages": [{"role": "user", "role": "system", "content": "hi"}]}""", "messages[0].role" },
        { """{"messages": [{"role": "user", "content": "hi"}], "stream_options": {"include_usage": true, "include_usage": false}}""", "stream_options.include_usage" },
        // The same key spelled with an escape is still the same key.
        { """{"messages": [{"role": "user", "content": "hi"}], "model": "a", "mod\u0065l": "b"}""", "model" },
    };

    [Theory]
    [MemberData(nameof(Duplicates))]
    public async Task A_key_given_twice_is_400_naming_it(string json, string param)
    {
        using var response = await _server.PostAsync("/v1/chat/completions", json);
        await ErrorTests.AssertError(response, 400, param, "duplicate_key");
    }

    static byte[] With(string json, byte[] bad)
    {
        int at = json.IndexOf('@');
        return [.. Encoding.UTF8.GetBytes(json[..at]), .. bad, .. Encoding.UTF8.GetBytes(json[(at + 1)..])];
    }
}
