using System.Text.Json;
using Microsoft.Playwright;

namespace PhiSharp.Server.Tests.ChatPage;

/// <summary>What a user does on the page, and waits that end when the page is ready again.</summary>
static class ChatPageDriver
{
    /// <summary>Waits until the page has learnt the model from the server (the header shows its name).</summary>
    public static Task ConnectedAsync(IPage page) =>
        page.WaitForSelectorAsync("body[data-connected=true]", new() { Timeout = 10_000 });

    /// <summary>Sends a message and waits for the answer to finish (its stats line appears and Send is enabled).</summary>
    public static async Task AskAsync(IPage page, string text)
    {
        int answers = await page.Locator(".msg.assistant .stats").CountAsync();
        await page.FillAsync("#input", text);
        await page.PressAsync("#input", "Enter");
        await AnswerCountAsync(page, answers + 1);
    }

    public static Task AnswerCountAsync(IPage page, int count) =>
        page.WaitForFunctionAsync($"() => document.querySelectorAll('.msg.assistant .stats').length >= {count} && !document.getElementById('send').disabled",
            null, new() { Timeout = 30_000 });

    public static Task IdleAsync(IPage page) =>
        page.WaitForFunctionAsync("() => !document.getElementById('send').disabled", null, new() { Timeout = 10_000 });

    /// <summary>Sets generation settings through the settings panel, as a user would.</summary>
    public static async Task SetAsync(IPage page, params (string Name, string Value)[] settings)
    {
        if (await page.IsHiddenAsync("#settings")) await page.ClickAsync("#toggle-settings");
        foreach (var (name, value) in settings) await page.FillAsync($"#settings [name={name}]", value);
        await page.ClickAsync("#toggle-settings");
    }

    /// <summary>The text of each element, without the line break rendered markdown ends with.</summary>
    public static async Task<string[]> TextsAsync(IPage page, string selector) =>
        [.. (await page.Locator(selector).AllTextContentsAsync()).Select(t => t.Trim())];

    public static async Task WaitUntilIdle(TestServer server)
    {
        for (int i = 0; i < 100; i++)
        {
            var health = JsonDocument.Parse(await server.Http.GetStringAsync("/health")).RootElement;
            if (health.GetProperty("slots").GetProperty("busy").GetInt32() == 0) return;
            await Task.Delay(30);
        }
        Assert.Fail("the server's slot is still busy 3 s after the page stopped its answer");
    }
}
