using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static PhiSharp.Server.Tests.ChatPage.ChatPageDriver;

namespace PhiSharp.Server.Tests.ChatPage;

/// <summary>
/// The chat page with the tiny random Phi-3 model behind it: conversations, streaming, stop, edit, regenerate, stats,
/// settings, the API key and the documents toggle. The model is slowed to 30 ms a token where a test must catch an
/// answer still streaming.
/// </summary>
[Collection(ChatPageCollection.Name)]
public sealed class ChatPageTests(ChatPageFixture fixture)
{
    [Fact]
    public async Task A_conversation_survives_a_reload_and_conversations_can_be_renamed_started_and_deleted()
    {
        await using var open = await fixture.OpenAsync();
        var page = open.Page;
        await ConnectedAsync(page);
        await SetAsync(page, ("temperature", "0"), ("max_tokens", "6"));
        await AskAsync(page, "hello there");
        string[] answer = await TextsAsync(page, ".msg.assistant .body");

        await page.ReloadAsync();
        await ConnectedAsync(page);
        Assert.Equal(["hello there"], await TextsAsync(page, ".msg.user .body"));
        Assert.Equal(answer, await TextsAsync(page, ".msg.assistant .body"));
        Assert.Equal(["hello there"], await TextsAsync(page, ".conversation-title"));

        // Rename in place; a new conversation starts empty and the first is still listed.
        await page.ClickAsync(".conversation.current .rename");
        await page.FillAsync(".rename-input", "Greetings");
        await page.PressAsync(".rename-input", "Enter");
        await page.ClickAsync("#new-chat");
        Assert.Equal(0, await page.Locator(".msg").CountAsync());
        await AskAsync(page, "second one");
        await page.ReloadAsync();
        await ConnectedAsync(page);
        Assert.Equal(["second one", "Greetings"], await TextsAsync(page, ".conversation-title"));
        Assert.Equal(["second one"], await TextsAsync(page, ".msg.user .body"));

        // Switch back, then delete (the second click confirms): the other conversation opens.
        await page.ClickAsync(".conversation-title:text-is('Greetings')");
        Assert.Equal(["hello there"], await TextsAsync(page, ".msg.user .body"));
        await page.ClickAsync(".conversation.current .delete");
        await page.ClickAsync(".conversation.current .delete");
        Assert.Equal(["second one"], await TextsAsync(page, ".conversation-title"));
        Assert.Equal(["second one"], await TextsAsync(page, ".msg.user .body"));
        open.AssertContained();
    }

    [Fact]
    public async Task Conversations_export_to_a_file_another_browser_imports_and_a_file_that_is_no_export_is_named_as_such()
    {
        await using var first = await fixture.OpenAsync();
        await CannedChat.RouteAsync(first.Page, "an answer");
        await ConnectedAsync(first.Page);
        await AskAsync(first.Page, "keep this");
        var download = await first.Page.RunAndWaitForDownloadAsync(() => first.Page.ClickAsync("#export"));
        Assert.Equal("phisharp-conversations.json", download.SuggestedFilename);
        string path = Path.Combine(Path.GetTempPath(), $"phisharp-export-{Guid.NewGuid():N}.json");
        await download.SaveAsAsync(path);
        try
        {
            var export = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
            Assert.Equal("phisharp-conversations", export["format"]!.GetValue<string>());
            var messages = export["conversations"]!.AsArray().Single()!["messages"]!.AsArray();
            Assert.Equal(["user:keep this", "assistant:an answer"], messages.Select(m => m!["role"] + ":" + m["content"]));

            await using var second = await fixture.OpenAsync();
            var page = second.Page;
            await ConnectedAsync(page);
            await page.SetInputFilesAsync("#import-file", path);
            await page.ClickAsync(".conversation-title:text-is('keep this')");
            Assert.Equal("Imported 1 conversation.", await page.TextContentAsync("#notice"));
            Assert.Equal(["an answer"], await TextsAsync(page, ".msg.assistant .body"));

            await page.SetInputFilesAsync("#import-file", new Microsoft.Playwright.FilePayload { Name = "notes.json", MimeType = "application/json", Buffer = "{\"a\": 1}"u8.ToArray() });
            await page.WaitForFunctionAsync("() => document.getElementById('notice').textContent.startsWith('notes.json: ')");
            Assert.Equal("notes.json: This file is not a PhiSharp conversation export (no \"format\": \"phisharp-conversations\").", await page.TextContentAsync("#notice"));
            Assert.Equal(1, await page.Locator(".conversation").CountAsync());
            first.AssertContained();
            second.AssertContained();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_reply_streams_in_and_stop_or_Esc_ends_it_keeping_the_text_and_freeing_the_slot()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { Parallel = 1 }, stepDelay: TimeSpan.FromMilliseconds(30));
        await using var open = await fixture.OpenAsync(server.Address);
        var page = open.Page;
        await ConnectedAsync(page);
        await SetAsync(page, ("temperature", "0"));

        foreach (var stop in new Func<Task>[] { () => page.ClickAsync("#stop"), () => page.Keyboard.PressAsync("Escape") })
        {
            int before = await page.Locator(".msg.assistant").CountAsync();
            await page.FillAsync("#input", "hello world");
            await page.PressAsync("#input", "Enter");
            // The answer's text appears while Stop is still enabled: it is streaming, not finished.
            await page.WaitForFunctionAsync($"() => document.querySelectorAll('.msg.assistant')[{before}]?.querySelector('.body').textContent.length > 0", null, new() { Timeout = 10_000 });
            Assert.True(await page.IsEnabledAsync("#stop"), "the answer finished before the test could see it stream");
            await stop();
            await IdleAsync(page);
            var answer = page.Locator(".msg.assistant").Nth(before);
            string stopped = await answer.Locator(".body").TextContentAsync() ?? "";
            Assert.NotEqual("", stopped);
            Assert.EndsWith("stopped", await answer.Locator(".stats").TextContentAsync());
            await Task.Delay(300);
            Assert.Equal(stopped, await answer.Locator(".body").TextContentAsync());
            await WaitUntilIdle(server);
        }
        open.AssertContained();
    }

    [Fact]
    public async Task Stats_show_the_model_its_context_the_answers_tokens_and_speed_and_the_context_used()
    {
        await using var server = await TestServer.StartAsync(stepDelay: TimeSpan.FromMilliseconds(5));
        await using var open = await fixture.OpenAsync(server.Address);
        var page = open.Page;
        await ConnectedAsync(page);
        Assert.Equal(server.ModelId, await page.TextContentAsync("#model-name"));
        Assert.Equal("256-token context", await page.TextContentAsync("#context-size"));

        await SetAsync(page, ("temperature", "0"), ("max_tokens", "8"));
        await AskAsync(page, "count the tokens");
        string stats = await page.Locator(".msg.assistant .stats").TextContentAsync() ?? "";
        var match = Regex.Match(stats, @"^(\d+) tokens · (\d+\.\d) tokens/s · prompt (\d+) tokens( · cut at the token limit)?$");
        Assert.True(match.Success, $"stats line: '{stats}'");
        int completion = int.Parse(match.Groups[1].Value), prompt = int.Parse(match.Groups[3].Value);
        Assert.InRange(completion, 2, 8);
        Assert.True(double.Parse(match.Groups[2].Value) > 0);
        // The server's own count of the same prompt (greedy, so the same answer): the page shows the usage it was sent.
        var (_, body) = await server.PostJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "count the tokens" } }, temperature = 0, max_tokens = 8,
        });
        Assert.Equal(body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), prompt);
        Assert.Equal(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), completion);
        Assert.Equal($"context {prompt + completion} / 256", await page.TextContentAsync("#context-used"));
        open.AssertContained();
    }

    [Fact]
    public async Task Editing_a_message_resends_the_conversation_from_there_and_regenerate_replaces_the_last_answer()
    {
        await using var open = await fixture.OpenAsync();
        var page = open.Page;
        var chat = await CannedChat.RouteAsync(page, (request, n) => $"answer {n} to {LastUserText(request)}");
        await ConnectedAsync(page);
        await AskAsync(page, "first");
        await AskAsync(page, "second");
        Assert.Equal(["answer 0 to first", "answer 1 to second"], await TextsAsync(page, ".msg.assistant .body"));

        await page.Locator(".msg.user").First.Locator(".edit").ClickAsync();
        await page.FillAsync(".edit-input", "first, edited");
        await page.PressAsync(".edit-input", "Enter");
        await AnswerCountAsync(page, 1);
        await IdleAsync(page);
        Assert.Equal(["first, edited"], await TextsAsync(page, ".msg.user .body"));
        Assert.Equal(["answer 2 to first, edited"], await TextsAsync(page, ".msg.assistant .body"));
        Assert.Equal(["user:first, edited"], Roles(chat.Requests[2]));

        await page.ClickAsync(".msg.assistant .regenerate");
        await page.WaitForFunctionAsync("() => document.querySelector('.msg.assistant .body')?.textContent.trim() === 'answer 3 to first, edited'", null, new() { Timeout = 10_000 });
        await IdleAsync(page);
        Assert.Equal(1, await page.Locator(".msg.assistant").CountAsync());
        Assert.Equal(["user:first, edited"], Roles(chat.Requests[3]));

        // A further question sends the whole conversation, the regenerated answer included.
        await AskAsync(page, "third");
        Assert.Equal(["user:first, edited", "assistant:answer 3 to first, edited", "user:third"], Roles(chat.Requests[4]));
        open.AssertContained();
    }

    [Fact]
    public async Task Settings_are_remembered_and_sent_with_every_request_and_Shift_Enter_starts_a_new_line()
    {
        await using var open = await fixture.OpenAsync();
        var page = open.Page;
        var chat = await CannedChat.RouteAsync(page, "ok");
        await ConnectedAsync(page);
        await SetAsync(page, ("system", "Be brief."), ("temperature", "0.3"), ("top_p", "0.9"), ("max_tokens", "50"), ("seed", "7"), ("stop", "END\n###"));
        await page.ReloadAsync();
        await ConnectedAsync(page);
        // Shift+Enter starts a new line, Enter sends.
        await page.FocusAsync("#input");
        await page.Keyboard.TypeAsync("hi");
        await page.Keyboard.PressAsync("Shift+Enter");
        await page.Keyboard.TypeAsync("there");
        await page.Keyboard.PressAsync("Enter");
        await AnswerCountAsync(page, 1);

        var sent = chat.Requests.Single();
        Assert.Equal(["system:Be brief.", "user:hi\nthere"], Roles(sent));
        Assert.Equal(0.3, sent["temperature"]!.GetValue<double>());
        Assert.Equal(0.9, sent["top_p"]!.GetValue<double>());
        Assert.Equal(50, sent["max_tokens"]!.GetValue<int>());
        Assert.Equal(7, sent["seed"]!.GetValue<int>());
        Assert.Equal(["END", "###"], sent["stop"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.True(sent["stream"]!.GetValue<bool>());
        open.AssertContained();
    }

    [Fact]
    public async Task A_server_with_an_api_key_gets_it_asked_once_and_a_wrong_key_is_named_as_such()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { ApiKey = "s3cret" });
        await using var open = await fixture.OpenAsync(server.Address);
        var page = open.Page;
        await page.WaitForSelectorAsync("#key-dialog[open]", new() { Timeout = 10_000 });
        Assert.Equal("This server needs an API key.", await page.TextContentAsync("#key-reason"));
        await page.FillAsync("#key-input", "wrong");
        await page.ClickAsync("#key-dialog button[value=save]");
        await page.WaitForFunctionAsync("() => document.getElementById('key-reason').textContent === 'The server refused this API key.'", null, new() { Timeout = 10_000 });
        await page.FillAsync("#key-input", "s3cret");
        await page.ClickAsync("#key-dialog button[value=save]");
        await ConnectedAsync(page);
        Assert.Equal(server.ModelId, await page.TextContentAsync("#model-name"));
        await SetAsync(page, ("temperature", "0"), ("max_tokens", "4"));
        await AskAsync(page, "hello");

        // Kept in the browser: a reload asks nothing.
        await page.ReloadAsync();
        await ConnectedAsync(page);
        Assert.False(await page.IsVisibleAsync("#key-dialog"));
        open.AssertContained();
    }

    [Fact]
    public async Task A_busy_server_and_a_full_context_get_messages_that_say_so()
    {
        await using var open = await fixture.OpenAsync();
        var page = open.Page;
        await ConnectedAsync(page);

        // The tiny model's context is 256 tokens and every byte is a token: an answer to 200 bytes fills the rest.
        await SetAsync(page, ("temperature", "0"));
        await AskAsync(page, new string('y', 200));
        Assert.EndsWith("the context is full", await page.TextContentAsync(".msg.assistant .stats"));
        Assert.Equal("The context is full: the answer was cut. Start a new conversation to continue.", await page.TextContentAsync("#notice"));
        Assert.Equal("context 256 / 256", await page.TextContentAsync("#context-used"));

        // 400 bytes do not fit at all: the real server refuses with 413.
        await page.ClickAsync("#new-chat");
        await page.FillAsync("#input", new string('x', 400));
        await page.PressAsync("#input", "Enter");
        await page.WaitForSelectorAsync(".msg.error", new() { Timeout = 10_000 });
        Assert.StartsWith("The conversation no longer fits the model's context of 256 tokens: start a new conversation",
            await page.TextContentAsync(".msg.error .body"));

        await CannedChat.RouteErrorAsync(page, 503, "server_busy", "All slots are busy and the queue is full.");
        await page.ClickAsync(".msg.error .retry");
        await page.WaitForFunctionAsync("() => document.querySelector('.msg.error .body')?.textContent.startsWith('The server is busy')", null, new() { Timeout = 10_000 });
        Assert.Equal(1, await page.Locator(".msg.user").CountAsync());
        open.AssertContained();
    }

    [Fact]
    public async Task With_a_rag_db_the_toggle_asks_for_grounded_answers_and_lists_their_sources_as_text()
    {
        var rag = new RagServer();
        await rag.InitializeAsync();
        try
        {
            await using var open = await fixture.OpenAsync(rag.Server.Address);
            var page = open.Page;
            await page.WaitForSelectorAsync("#rag-toggle", new() { State = Microsoft.Playwright.WaitForSelectorState.Visible, Timeout = 10_000 });

            // On: hybrid retrieval brings all three documents; their names are shown as text, the HTML one included.
            await page.CheckAsync("#rag");
            await AskAsync(page, "Which volcano is the tallest?");
            var texts = await TextsAsync(page, ".sources li");
            Assert.Equal(3, texts.Length);
            Assert.Contains(texts, t => t.EndsWith("mars.md#Mars") || t.EndsWith("mars.md#Mars (cited)"));
            Assert.Contains(texts, t => t.Contains(RagServer.HtmlName));
            Assert.Equal(0, await page.Locator("#messages img").CountAsync());

            // Off: an ordinary chat, no sources.
            await page.UncheckAsync("#rag");
            await AskAsync(page, "hello");
            Assert.Equal(1, await page.Locator(".sources").CountAsync());
            open.AssertContained();
        }
        finally
        {
            await rag.DisposeAsync();
        }
    }

    static string LastUserText(JsonObject request) =>
        request["messages"]!.AsArray().Last(m => m!["role"]!.GetValue<string>() == "user")!["content"]!.GetValue<string>();

    static string[] Roles(JsonObject request) =>
        [.. request["messages"]!.AsArray().Select(m => m!["role"]!.GetValue<string>() + ":" + m["content"]!.GetValue<string>())];
}
