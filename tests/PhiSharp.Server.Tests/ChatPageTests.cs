using System.Text.Json;
using Microsoft.Playwright;

namespace PhiSharp.Server.Tests;

/// <summary>
/// The chat page in a real browser: Debian's chromium (never a downloaded one), headless, driven by Playwright.
/// The model is slowed to 30 ms a token so a reply is still streaming when the test looks and presses stop.
/// </summary>
public sealed class ChatPageTests
{
    const string Chromium = "/usr/bin/chromium";

    /// <summary>Chromium with one page open; counts the dialogs (alert, confirm) the page raises, which a test wants to be none.</summary>
    sealed class OpenPage : IAsyncDisposable
    {
        IPlaywright _playwright = null!;
        IBrowser _browser = null!;
        public IPage Page { get; private set; } = null!;
        public int Dialogs { get; private set; }

        public static async Task<OpenPage> OpenAsync(Uri address)
        {
            Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (.ci/run does)");
            var open = new OpenPage { _playwright = await Playwright.CreateAsync() };
            open._browser = await open._playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            open.Page = await open._browser.NewPageAsync();
            open.Page.Dialog += (_, dialog) => { open.Dialogs++; _ = dialog.DismissAsync(); };
            await open.Page.GotoAsync(address.ToString());
            return open;
        }

        public async ValueTask DisposeAsync()
        {
            await _browser.DisposeAsync();
            _playwright.Dispose();
        }
    }

    [Fact]
    public async Task A_reply_streams_in_stop_ends_it_and_html_in_a_message_is_shown_as_text()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { Parallel = 1 }, stepDelay: TimeSpan.FromMilliseconds(30));
        await using var open = await OpenPage.OpenAsync(server.Address);
        var page = open.Page;
        await WaitForHealthCheck(page);
        Assert.False(await page.IsVisibleAsync("#rag-toggle"), "the server has no --rag-db, yet the page offers its documents");

        // Streaming: the reply's text appears while the stop button is still enabled (the reply is not finished).
        // Greedy decoding, so the reply is the same every run (sampled, the random model sometimes ended it at once).
        await page.FillAsync("#temperature", "0");
        await page.FillAsync("#input", "hello world");
        await page.ClickAsync("#send");
        var reply = page.Locator(".msg.assistant").Last;
        await page.WaitForFunctionAsync("() => document.querySelector('.msg.assistant')?.textContent.length > 0", null, new() { Timeout = 10_000 });
        Assert.True(await page.IsEnabledAsync("#stop"), "the reply finished before the test could see it stream");

        // Stop: the reply ends, the page is ready again, the text no longer grows and the server's slot is free.
        await page.ClickAsync("#stop");
        await page.WaitForFunctionAsync("() => !document.getElementById('send').disabled", null, new() { Timeout = 5_000 });
        string stopped = await reply.TextContentAsync() ?? "";
        await Task.Delay(300);
        Assert.Equal(stopped, await reply.TextContentAsync());
        await WaitUntilIdle(server);

        // A message that is HTML is shown as its text: no element is created, no script runs.
        await page.ClickAsync("#new");
        const string attack = "<img src=x onerror=alert(1)>";
        await page.FillAsync("#input", attack);
        await page.ClickAsync("#send");
        var user = page.Locator(".msg.user").Last;
        Assert.Equal(attack, await user.TextContentAsync());
        Assert.Equal(0, await page.Locator("#messages img").CountAsync());
        await page.ClickAsync("#stop");
        await page.WaitForFunctionAsync("() => !document.getElementById('send').disabled", null, new() { Timeout = 5_000 });
        Assert.Equal(0, open.Dialogs);
        Assert.Equal(0, await page.Locator("#messages img").CountAsync());
    }

    [Fact]
    public async Task With_a_rag_db_the_toggle_asks_for_grounded_answers_and_lists_their_sources_as_text()
    {
        var rag = new RagServer();
        await rag.InitializeAsync();
        try
        {
            await using var open = await OpenPage.OpenAsync(rag.Server.Address);
            var page = open.Page;
            await page.WaitForSelectorAsync("#rag-toggle", new() { State = WaitForSelectorState.Visible, Timeout = 5_000 });

            // On: hybrid retrieval brings all three documents; their names are shown as text, the HTML one included.
            await page.CheckAsync("#rag");
            await AskAndWait(page, "Which volcano is the tallest?");
            var items = page.Locator(".sources li");
            Assert.Equal(3, await items.CountAsync());
            var texts = await items.AllTextContentsAsync();
            Assert.Contains(texts, t => t.EndsWith("mars.md#Mars") || t.EndsWith("mars.md#Mars (cited)"));
            Assert.Contains(texts, t => t.Contains(RagServer.HtmlName));
            Assert.Equal(0, await page.Locator("#messages img").CountAsync());

            // Off: an ordinary chat, no sources.
            await page.UncheckAsync("#rag");
            await AskAndWait(page, "hello");
            Assert.Equal(1, await page.Locator(".sources").CountAsync());
            Assert.Equal(0, open.Dialogs);
        }
        finally
        {
            await rag.DisposeAsync();
        }
    }

    static async Task AskAndWait(IPage page, string question)
    {
        int replies = await page.Locator(".stats").CountAsync();
        await page.FillAsync("#input", question);
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('.stats').length > {replies}", null, new() { Timeout = 30_000 });
        Assert.DoesNotContain("error", await page.Locator(".msg.assistant").Last.GetAttributeAsync("class") ?? "");
    }

    /// <summary>The page asks /health whether to offer the toggle; waits until that request has been answered.</summary>
    static Task WaitForHealthCheck(IPage page) =>
        page.WaitForFunctionAsync("() => performance.getEntriesByType('resource').some(e => e.name.endsWith('/health') && e.responseEnd > 0)",
            null, new() { Timeout = 5_000 });

    static async Task WaitUntilIdle(TestServer server)
    {
        for (int i = 0; i < 100; i++)
        {
            var health = JsonDocument.Parse(await server.Http.GetStringAsync("/health")).RootElement;
            if (health.GetProperty("slots").GetProperty("busy").GetInt32() == 0) return;
            await Task.Delay(30);
        }
        Assert.Fail("the server's slot is still busy 3 s after the page pressed stop");
    }
}
