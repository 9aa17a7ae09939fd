using Microsoft.Playwright;
using PhiSharp.Tests;
using static PhiSharp.Server.Tests.ChatPage.ChatPageDriver;

namespace PhiSharp.Server.Tests.ChatPage;

/// <summary>
/// The page's themes follow the system, and on a phone-sized screen (390 × 844) nothing scrolls sideways. Writes
/// screenshots of the light, dark and narrow layouts to artifacts/chat-page/ (ignored by git; docs/img/chat-page.png is a copy made by hand).
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

    [Fact]
    public async Task The_layout_follows_the_system_theme_and_fits_a_phone_without_scrolling_sideways()
    {
        // Streamed over about half a second, a token's worth at a time, so the stats line shows a real rate.
        var pieces = Answer.Chunk(8).Select(piece => new string(piece));
        await using var open = await fixture.OpenAsync(options: new BrowserNewContextOptions { ColorScheme = ColorScheme.Light, ViewportSize = new() { Width = 1280, Height = 800 } },
            beforeLoad: page => page.AddInitScriptAsync(CannedChat.TimedStreamScript(pieces, 5)));
        var page = open.Page;
        await ConnectedAsync(page);
        await AskAsync(page, "What is a KV cache? Show me some code and a table.");
        await AssertFitsAsync(page, "rgb(255, 255, 255)", "light");

        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await AssertFitsAsync(page, "rgb(22, 24, 28)", "dark");

        // A phone: the conversation list is behind a button and slides over the chat; Esc puts it away.
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        await page.SetViewportSizeAsync(390, 844);
        const string listHidden = "() => document.getElementById('sidebar').getBoundingClientRect().right <= 0";
        const string listShown = "() => document.getElementById('sidebar').getBoundingClientRect().left >= 0";
        await page.WaitForFunctionAsync(listHidden);
        await page.ClickAsync("#toggle-sidebar");
        await page.WaitForFunctionAsync(listShown);
        await page.Keyboard.PressAsync("Escape");
        await page.WaitForFunctionAsync(listHidden);
        await AssertFitsAsync(page, "rgb(255, 255, 255)", "narrow");
        open.AssertContained();
    }

    /// <summary>The theme's background, no sideways scroll, nothing outside the screen; then a screenshot.</summary>
    static async Task AssertFitsAsync(IPage page, string background, string screenshot)
    {
        Assert.Equal(background, await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= innerWidth && document.body.scrollWidth <= innerWidth"),
            $"the {screenshot} layout scrolls sideways");
        // Nothing in the chat column reaches past the screen's edges (code and tables scroll inside their own box).
        Assert.Equal(0, await page.EvaluateAsync<int>("""
            () => [...document.querySelectorAll('#chat *')].filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > innerWidth + 1 || r.left < -1); })
                    .filter(e => !e.closest('pre, table')).length
            """));
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, screenshot + ".png") });
    }
}
