using Microsoft.Playwright;
using PhiSharp.Tests;
using static PhiSharp.Server.Tests.ChatPage.ChatPageDriver;

namespace PhiSharp.Server.Tests.ChatPage;

/// <summary>
/// The page's themes follow the system, and on a phone-sized screen nothing scrolls sideways. Writes screenshots of
/// the light, dark and narrow layouts to artifacts/chat-page/ (ignored by git; docs/img/chat-page.png is a copy made by hand).
/// </summary>
[Collection(ChatPageCollection.Name)]
public sealed class ChatPageLayoutTests(ChatPageFixture fixture)
{
    static readonly string Screenshots = Path.GetFullPath(Path.Combine(Fixtures.Root, "..", "..", "artifacts", "chat-page"));

    const string Answer = """
        A **KV cache** keeps the keys and values of earlier tokens, so each new token attends to them without
        recomputing them:

        ```python
        def attend(q, keys, values):
            scores = q @ keys.T / math.sqrt(q.shape[-1])  # one row per cached token, and a long line that must scroll inside its block
            return softmax(scores) @ values
        ```

        | cache | bytes per token |
        | --- | --- |
        | f16 | 2 × layers × kv_heads × head_dim × 2 |
        | f32 | twice that |

        An unbroken string: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        """;

    [Theory]
    [InlineData("light", ColorScheme.Light, 1280, 800)]
    [InlineData("dark", ColorScheme.Dark, 1280, 800)]
    [InlineData("narrow", ColorScheme.Light, 390, 844)]
    public async Task The_layout_follows_the_system_theme_and_never_scrolls_sideways(string name, ColorScheme scheme, int width, int height)
    {
        var options = new BrowserNewContextOptions
        {
            ColorScheme = scheme, ViewportSize = new() { Width = width, Height = height }, IsMobile = width < 500, HasTouch = width < 500,
        };
        // Streamed over about half a second, a token's worth at a time, so the stats line shows a real rate.
        var pieces = Answer.Chunk(8).Select(piece => new string(piece));
        await using var open = await fixture.OpenAsync(options: options, beforeLoad: page => page.AddInitScriptAsync(CannedChat.TimedStreamScript(pieces, 5)));
        var page = open.Page;
        await ConnectedAsync(page);
        await AskAsync(page, "What is a KV cache? Show me some code and a table.");

        string background = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
        Assert.Equal(scheme == ColorScheme.Dark ? "rgb(22, 24, 28)" : "rgb(255, 255, 255)", background);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth && document.body.scrollWidth <= window.innerWidth"),
            "the page scrolls sideways");
        // Nothing in the chat column is wider than the screen either (it clips rather than scrolls).
        Assert.Equal(0, await page.EvaluateAsync<int>("""
            () => [...document.querySelectorAll('#chat *')].filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > innerWidth + 1 || r.left < -1); })
                    .filter(e => !e.closest('pre, table')).length
            """));

        if (width < 500)
        {
            // On a phone the conversation list is behind a button and slides over the chat; Esc puts it away.
            const string listOnScreen = "() => document.getElementById('new-chat').getBoundingClientRect().right > 0";
            Assert.False(await page.EvaluateAsync<bool>(listOnScreen));
            await page.ClickAsync("#toggle-sidebar");
            await page.WaitForFunctionAsync("() => document.getElementById('sidebar').getBoundingClientRect().left >= 0");
            Assert.True(await page.EvaluateAsync<bool>(listOnScreen));
            await page.Keyboard.PressAsync("Escape");
            await page.WaitForFunctionAsync("() => document.getElementById('sidebar').getBoundingClientRect().right <= 0");
        }
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png") });
        open.AssertContained();
    }
}
