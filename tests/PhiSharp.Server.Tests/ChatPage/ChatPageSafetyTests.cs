using static PhiSharp.Server.Tests.ChatPage.ChatPageDriver;

namespace PhiSharp.Server.Tests.ChatPage;

/// <summary>
/// The model's output is untrusted: markdown renders, but no markup, script or javascript: URL in a reply runs, no
/// request leaves the server's origin, and the page's Content-Security-Policy forbids inline script and other origins.
/// </summary>
[Collection(ChatPageCollection.Name)]
public sealed class ChatPageSafetyTests(ChatPageFixture fixture)
{
    const string Markdown = """
        ## Steps

        1. **Load** the model
        2. Call `Generate`

        | type | bits |
        | --- | --- |
        | Q4_0 | 4.5 |

        See [the docs](https://example.org/docs).

        ```csharp
        public static int Twice(int x) => 2 * x; // doubles
        ```
        """;

    [Fact]
    public async Task Markdown_renders_with_highlighted_code_copy_buttons_and_links_that_open_apart()
    {
        await using var open = await fixture.OpenAsync();
        var page = open.Page;
        await CannedChat.RouteAsync(page, Markdown);
        await ConnectedAsync(page);
        await AskAsync(page, "how?");

        var answer = page.Locator(".msg.assistant .body");
        Assert.Equal("Steps", await answer.Locator("h2").TextContentAsync());
        Assert.Equal(["Load the model", "Call Generate"], await answer.Locator("ol > li").AllTextContentsAsync());
        Assert.Equal("Load", await answer.Locator("ol strong").TextContentAsync());
        Assert.Equal("Generate", await answer.Locator("li code").TextContentAsync());
        Assert.Equal(["Q4_0", "4.5"], await answer.Locator("table td").AllTextContentsAsync());
        var link = answer.Locator("a");
        Assert.Equal("https://example.org/docs", await link.GetAttributeAsync("href"));
        Assert.Equal("noopener noreferrer", await link.GetAttributeAsync("rel"));
        Assert.Equal("_blank", await link.GetAttributeAsync("target"));
        var code = answer.Locator("pre code.hljs.language-csharp");
        Assert.Equal("public static int Twice(int x) => 2 * x; // doubles", await code.TextContentAsync());
        Assert.Equal(["public", "static"], (await code.Locator(".hljs-keyword").AllTextContentsAsync()).Take(2));
        Assert.Equal("// doubles", await code.Locator(".hljs-comment").TextContentAsync());
        Assert.Equal(1, await answer.Locator("pre .copy-code").CountAsync());

        // The copy buttons put the code (without the button's own label) and the whole answer on the clipboard.
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await answer.Locator("pre .copy-code").ClickAsync();
        Assert.Equal("public static int Twice(int x) => 2 * x; // doubles", await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await page.ClickAsync(".msg.assistant .msg-footer .copy");
        Assert.Equal(Markdown, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        open.AssertContained();
    }

    [Fact]
    public async Task A_hostile_reply_runs_nothing_requests_nothing_and_is_shown_as_text()
    {
        const string hostile = """
            Look: <img src=x onerror=alert(1)> then <script>alert(2)</script>

            <img src="http://203.0.113.7/pixel.png" onerror="alert(3)">

            [click me](javascript:alert(4)) and <a href="javascript:alert(5)">me too</a> and ![tracker](http://203.0.113.7/t.png)
            """;
        await using var open = await fixture.OpenAsync();
        var page = open.Page;
        await CannedChat.RouteAsync(page, hostile);
        await ConnectedAsync(page);
        await AskAsync(page, "say something hostile");

        var answer = page.Locator(".msg.assistant .body");
        string text = await answer.TextContentAsync() ?? "";
        Assert.Contains("<img src=x onerror=alert(1)>", text);
        Assert.Contains("<script>alert(2)</script>", text);
        Assert.Contains("<img src=\"http://203.0.113.7/pixel.png\" onerror=\"alert(3)\">", text);
        Assert.Contains("click me", text);
        Assert.Equal(0, await page.Locator("#messages img, #messages script, #messages iframe").CountAsync());
        foreach (var href in await answer.Locator("a").EvaluateAllAsync<string?[]>("links => links.map(a => a.getAttribute('href'))"))
            Assert.False(href is not null && href.Trim().StartsWith("javascript:", StringComparison.OrdinalIgnoreCase), $"a javascript: link survived: {href}");

        // The image became a link the user may follow, not a request the reply makes; the javascript: link, clicked, runs nothing.
        Assert.Equal("http://203.0.113.7/t.png", await answer.Locator("a:text-is('tracker')").GetAttributeAsync("href"));
        await answer.Locator("a:text-is('click me')").ClickAsync();
        await Task.Delay(300);
        open.AssertContained();
    }

    [Fact]
    public async Task The_page_and_its_bundle_carry_a_policy_without_inline_script_or_other_origins()
    {
        var server = fixture.Server;
        foreach (var (path, type) in new[] { ("/", "text/html"), ("/app.js", "text/javascript"), ("/app.css", "text/css") })
        {
            using var response = await server.Http.GetAsync(path);
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            string policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", policy);
            Assert.Contains("script-src 'self';", policy);
            Assert.DoesNotContain("unsafe", policy);
            Assert.DoesNotContain("http", policy);
            Assert.DoesNotContain("*", policy);
            Assert.Equal("nosniff", string.Join("", response.Headers.GetValues("X-Content-Type-Options")));
        }
        string html = await server.Http.GetStringAsync("/");
        Assert.DoesNotContain("<script>", html); // only <script src="/app.js">: an inline one would be refused by the policy
        Assert.DoesNotContain("style=", html);
    }

    [Fact]
    public async Task A_long_answer_streams_without_rerendering_what_is_already_shown()
    {
        // The stream comes from a ReadableStream the test feeds block by block (Playwright's routes answer at once),
        // through the page's own fetch-and-parse code. 120 paragraphs arrive over about a second.
        const int blocks = 120;
        var paragraphs = Enumerable.Range(0, blocks).Select(i => $"Paragraph {i} of the answer, with some words in it.\n\n");
        await using var open = await fixture.OpenAsync(beforeLoad: page => page.AddInitScriptAsync(CannedChat.TimedStreamScript(paragraphs, millisecondsApart: 8)));
        var page = open.Page;
        await ConnectedAsync(page);
        // Counts the characters of text the page inserts into the answer while it streams.
        await page.EvaluateAsync("""
            () => {
              window.inserted = 0;
              new MutationObserver(records => {
                for (const r of records) for (const n of r.addedNodes) window.inserted += (n.textContent ?? "").length;
              }).observe(document.getElementById("messages"), { childList: true, subtree: true });
            }
            """);
        await AskAsync(page, "a long one");
        var answer = page.Locator(".msg.assistant .body");
        Assert.Equal(blocks, await answer.Locator("p").CountAsync());
        int length = (await answer.TextContentAsync())!.Length;
        int inserted = await page.EvaluateAsync<int>("() => window.inserted");
        // Kept blocks are inserted once; re-rendering the whole answer on each of its dozens of frames would insert
        // it tens of times over (about frames / 2). The final render and the re-drawn transcript add two copies.
        Assert.True(inserted < 8 * length, $"{inserted} characters inserted for an answer of {length}");
        open.AssertContained();
    }
}
