using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using PhiSharp.Models.Phi3Vision;
using PhiSharp.Tests;
using PhiSharp.Tokenizers;

namespace PhiSharp.Server.Tests.Images;

/// <summary>
/// OpenAI image_url parts in /v1/chat/completions, over real HTTP: a data: URL or a file:// URL inside --image-dir
/// gives the library's greedy tokens; every bad image is a clear 4xx and the server goes on serving.
/// </summary>
public sealed class ImageUrlTests(VisionServer vision) : IClassFixture<VisionServer>
{
    readonly TestServer _server = vision.Server;

    static object ImageRequest(string url, int maxTokens = 1) => new
    {
        messages = new object[]
        {
            new
            {
                role = "user",
                content = new object[] { new { type = "image_url", image_url = new { url } }, new { type = "text", text = "What is this?" } },
            },
        },
        max_tokens = maxTokens,
        temperature = 0,
    };

    static string DataUrl(byte[] bytes, string mediaType = "image/png") => $"data:{mediaType};base64,{Convert.ToBase64String(bytes)}";

    [Fact]
    public async Task A_data_url_and_a_file_in_the_image_dir_give_the_library_calls_greedy_tokens()
    {
        const int tokens = 6;
        var (expected, promptTokens) = vision.LibraryGreedy(VisionServer.Photo, "What is this?", tokens);
        string photo = DataUrl(File.ReadAllBytes(VisionServer.Photo), "image/jpeg");
        string file = new Uri(Path.Combine(vision.ImageDirectory, "rocket.jpg")).AbsoluteUri;
        string other = DataUrl(File.ReadAllBytes(VisionServer.OtherPhoto));
        // The other photograph in between, with the same text: the slot's cached prompt then has the same ids, so a
        // reply equal to the expected one after it shows the image, not the cache, decided it.
        var replies = new List<(string Text, int PromptTokens)>();
        foreach (var url in new[] { photo, other, file, photo })
        {
            var (status, body) = await _server.PostJsonAsync("/v1/chat/completions", ImageRequest(url, tokens));
            Assert.True(status == 200, body.ToString());
            replies.Add((body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!,
                body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32()));
        }
        Assert.Equal((expected, promptTokens), replies[0]);
        Assert.NotEqual(expected, replies[1].Text);
        Assert.Equal((expected, promptTokens), replies[2]);
        Assert.Equal((expected, promptTokens), replies[3]);
    }

    public static TheoryData<string, int, string> BadImages => new()
    {
        // case, status, code
        { "truncated-jpeg", 400, "invalid_image" },
        { "png-bomb", 413, "image_too_large" },
        { "over-the-byte-limit", 413, "image_too_large" },
        { "not-an-image", 400, "invalid_image" },
        { "wrong-media-type", 400, "unsupported_media_type" },
        { "not-base64", 400, "invalid_image_url" },
        { "remote-url", 400, "remote_image_refused" },
        { "file-outside-image-dir", 400, "image_file_refused" },
        { "symlink-out-of-image-dir", 400, "image_file_refused" },
        { "symlinked-folder-out-of-image-dir", 400, "image_file_refused" },
        { "dot-dot-out-of-image-dir", 400, "image_file_refused" },
        { "missing-file", 400, "invalid_image" },
        { "ftp-url", 400, "invalid_image_url" },
    };

    [Theory]
    [MemberData(nameof(BadImages))]
    public async Task A_bad_image_is_a_clear_error_and_the_server_keeps_serving(string name, int status, string code)
    {
        string url = name switch
        {
            "truncated-jpeg" => DataUrl(File.ReadAllBytes(Fixtures.Path("transformers", "phi3v", "images", "rocket.jpg"))[..60_000], "image/jpeg"),
            "png-bomb" => DataUrl(PngDeclaring(100_000, 100_000)),
            "over-the-byte-limit" => DataUrl(new byte[VisionServer.MaxImageBytes + 1000]),
            "not-an-image" => DataUrl(Encoding.UTF8.GetBytes("hello, I am not a picture")),
            "wrong-media-type" => DataUrl(File.ReadAllBytes(VisionServer.Photo), "text/plain"),
            "not-base64" => "data:image/png;base64,***",
            "remote-url" => "https://example.com/cat.png",
            "file-outside-image-dir" => new Uri(vision.Outside("secret.png")).AbsoluteUri,
            "symlink-out-of-image-dir" => new Uri(Path.Combine(vision.ImageDirectory, "escape.png")).AbsoluteUri,
            "symlinked-folder-out-of-image-dir" => new Uri(Path.Combine(vision.ImageDirectory, "elsewhere", "secret.png")).AbsoluteUri,
            "dot-dot-out-of-image-dir" => "file://" + vision.ImageDirectory + "/../" + Path.GetFileName(Path.GetDirectoryName(vision.Outside("x"))) + "/secret.png",
            "missing-file" => new Uri(Path.Combine(vision.ImageDirectory, "none.png")).AbsoluteUri,
            "ftp-url" => "ftp://example.com/cat.png",
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        using var response = await _server.PostAsync("/v1/chat/completions", JsonSerializer.Serialize(ImageRequest(url)));
        await ErrorTests.AssertError(response, status, "messages[0].content[0]", code);

        var (after, body) = await _server.PostJsonAsync("/v1/chat/completions",
            new { messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 2 });
        Assert.True(after == 200, body.ToString());
    }

    [Fact]
    public async Task The_default_body_limit_admits_an_image_at_the_default_byte_limit_in_base64()
    {
        long base64 = (ImageLimits.Default.MaxBytes + 2) / 3 * 4;
        Assert.True(new ServerOptions().MaxRequestBytes > base64 + (64 << 10), $"{new ServerOptions().MaxRequestBytes} ≤ {base64} + 64 KiB");
        // And the server reads such a body: one just under the byte limit is refused by the image limit, not the body limit.
        var (status, body) = await _server.PostJsonAsync("/v1/chat/completions", ImageRequest(DataUrl(new byte[ImageLimits.Default.MaxBytes - 1])));
        Assert.Equal(413, status);
        Assert.Equal("image_too_large", body.GetProperty("error").GetProperty("code").GetString());
    }

    /// <summary>A complete, valid PNG whose header declares <paramref name="width"/>×<paramref name="height"/> pixels
    /// with one tiny (wrong) IDAT: decoding it would allocate the declared size.</summary>
    static byte[] PngDeclaring(int width, int height)
    {
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // truecolour
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.Write(crc);
    }

    /// <summary>PNG's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) over a chunk's type and data.</summary>
    static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}

/// <summary>A model without an image encoder refuses an image_url part with a 400 that says so.</summary>
public sealed class TextModelImageTests(SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task An_image_sent_to_a_model_without_vision_is_a_400()
    {
        var request = new
        {
            messages = new object[]
            {
                new { role = "user", content = new object[] { new { type = "image_url", image_url = new { url = "data:image/png;base64,AAAA" } } } },
            },
        };
        using var response = await shared.Server.PostAsync("/v1/chat/completions", JsonSerializer.Serialize(request));
        await ErrorTests.AssertError(response, 400, "messages[0].content[0]", "images_not_supported");
    }
}

/// <summary>A server started without --image-dir reads no image files: a file:// URL, even to an existing photograph,
/// is a 400 that names the option, and the server goes on serving.</summary>
public sealed class NoImageDirectoryTests
{
    [Fact]
    public async Task A_file_url_without_an_image_dir_is_a_400_that_names_the_option()
    {
        await using var server = await TestServer.StartAsync(
            () => LanguageModel.Load(Fixtures.Path("transformers", "phi3v", "phi3v-tiny"), new LoadOptions { Threads = 1, ChatFormat = ChatFormat.Phi3 }),
            new ServerOptions { ContextLength = 2048 });
        var request = new
        {
            messages = new object[]
            {
                new
                {
                    role = "user",
                    content = new object[] { new { type = "image_url", image_url = new { url = new Uri(VisionServer.Photo).AbsoluteUri } } },
                },
            },
            max_tokens = 1,
        };
        using var response = await server.PostAsync("/v1/chat/completions", JsonSerializer.Serialize(request));
        await ErrorTests.AssertError(response, 400, "messages[0].content[0]", "image_file_refused");
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Contains("start it with --image-dir", error.GetProperty("message").GetString());

        var (after, body) = await server.PostJsonAsync("/v1/chat/completions",
            new { messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 2 });
        Assert.True(after == 200, body.ToString());
    }
}
