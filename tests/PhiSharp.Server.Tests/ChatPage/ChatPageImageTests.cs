using System.Text.Json;
using PhiSharp.Server.Tests.Images;
using static PhiSharp.Server.Tests.ChatPage.ChatPageDriver;

namespace PhiSharp.Server.Tests.ChatPage;

/// <summary>
/// Images on the chat page, with the tiny Phi-3-vision model behind it: attached with the file picker or pasted into
/// the message, shown in the conversation, and sent as a data: URL image_url part, whose answer is the library's.
/// </summary>
[Collection(ChatPageCollection.Name)]
public sealed class ChatPageImageTests(ChatPageFixture fixture) : IAsyncLifetime
{
    readonly VisionServer _vision = new();

    public Task InitializeAsync() => _vision.InitializeAsync();
    public Task DisposeAsync() => _vision.DisposeAsync();

    const int Tokens = 6;

    /// <summary>The stored conversation's messages (the answer's raw text, before markdown).</summary>
    static async Task<JsonElement> StoredMessagesAsync(Microsoft.Playwright.IPage page) =>
        JsonDocument.Parse(await page.EvaluateAsync<string>("() => localStorage.getItem('phisharp.conversations')")).RootElement[0].GetProperty("messages");

    [Fact]
    public async Task An_image_from_the_file_picker_is_shown_sent_as_a_data_url_and_answered_as_the_library_does()
    {
        var (expected, _) = _vision.LibraryGreedy(VisionServer.Photo, "What is this?", Tokens);
        await using var open = await fixture.OpenAsync(_vision.Server.Address);
        var page = open.Page;
        var sent = new List<string>();
        page.Request += (_, r) => { if (r.Url.EndsWith("/v1/chat/completions")) sent.Add(r.PostData ?? ""); };
        await ConnectedAsync(page);
        await SetAsync(page, ("temperature", "0"), ("max_tokens", Tokens.ToString()));

        await page.SetInputFilesAsync("#image-file", VisionServer.Photo);
        await page.WaitForSelectorAsync("#attachments img");
        await AskAsync(page, "What is this?");

        string dataUrl = "data:image/jpeg;base64," + Convert.ToBase64String(File.ReadAllBytes(VisionServer.Photo));
        Assert.Equal(dataUrl, await page.GetAttributeAsync(".msg.user .body img", "src"));
        Assert.True(await page.IsHiddenAsync("#attachments"));
        var parts = JsonDocument.Parse(Assert.Single(sent)).RootElement.GetProperty("messages")[0].GetProperty("content");
        Assert.Equal("image_url", parts[0].GetProperty("type").GetString());
        Assert.Equal(dataUrl, parts[0].GetProperty("image_url").GetProperty("url").GetString());
        Assert.Equal("What is this?", parts[1].GetProperty("text").GetString());
        Assert.Equal(expected, (await StoredMessagesAsync(page))[1].GetProperty("content").GetString());

        // The image stays with the conversation: after a reload it is shown again.
        await page.ReloadAsync();
        await ConnectedAsync(page);
        Assert.Equal(dataUrl, await page.GetAttributeAsync(".msg.user .body img", "src"));
        open.AssertContained();
    }

    [Fact]
    public async Task A_pasted_image_is_attached_and_a_pasted_file_that_is_no_image_is_named()
    {
        var (expected, _) = _vision.LibraryGreedy(VisionServer.Photo, "What is this?", Tokens);
        await using var open = await fixture.OpenAsync(_vision.Server.Address);
        var page = open.Page;
        await ConnectedAsync(page);
        await SetAsync(page, ("temperature", "0"), ("max_tokens", Tokens.ToString()));

        const string paste = """
            ([base64, name, type]) => {
              const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
              const data = new DataTransfer();
              data.items.add(new File([bytes], name, { type }));
              document.getElementById("input").dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
            }
            """;
        await page.EvaluateAsync(paste, new[] { Convert.ToBase64String("not a picture"u8.ToArray()), "notes.txt", "text/plain" });
        Assert.Equal(0, await page.Locator("#attachments img").CountAsync());
        Assert.Equal("notes.txt is not a PNG, JPEG, WebP, GIF or BMP image.", (await page.TextContentAsync("#notice"))?.Trim());

        await page.EvaluateAsync(paste, new[] { Convert.ToBase64String(File.ReadAllBytes(VisionServer.Photo)), "image.jpg", "image/jpeg" });
        await page.WaitForSelectorAsync("#attachments img");
        await AskAsync(page, "What is this?");
        Assert.Equal(1, await page.Locator(".msg.user .body img").CountAsync());
        Assert.Equal(expected, (await StoredMessagesAsync(page))[1].GetProperty("content").GetString());
        open.AssertContained();
    }
}
