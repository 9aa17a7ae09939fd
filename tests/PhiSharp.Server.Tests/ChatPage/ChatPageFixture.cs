using Microsoft.Playwright;

namespace PhiSharp.Server.Tests.ChatPage;

/// <summary>The chat page tests share one browser and one server, and run one at a time (the suite shares few cores).</summary>
[CollectionDefinition(Name)]
public sealed class ChatPageCollection : ICollectionFixture<ChatPageFixture>
{
    public const string Name = "chat page";
}

/// <summary>
/// Debian's chromium (never a downloaded one), headless, driven by Playwright, and a default server (the tiny model,
/// two slots) for the tests that need no special one. Each test opens its own browser context: empty storage.
/// </summary>
public sealed class ChatPageFixture : IAsyncLifetime
{
    const string Executable = "/usr/bin/chromium";
    IPlaywright _playwright = null!;
    public IBrowser Browser { get; private set; } = null!;
    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await TestServer.StartAsync();
        Assert.True(File.Exists(Executable), $"{Executable} is missing: apt-get install chromium (.ci/run does)");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A fresh browser profile (empty storage) with the page of <paramref name="server"/> (default: the shared one) open.</summary>
    public async Task<OpenPage> OpenAsync(Uri? server = null, BrowserNewContextOptions? options = null, Func<IPage, Task>? beforeLoad = null)
    {
        server ??= Server.Address;
        var context = await Browser.NewContextAsync(options ?? new BrowserNewContextOptions());
        var open = new OpenPage(context, await context.NewPageAsync(), server);
        await open.CutNetworkAsync();
        if (beforeLoad is not null) await beforeLoad(open.Page);
        await open.Page.GotoAsync(server.ToString());
        return open;
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>
/// One page and what it did that a test wants to be nothing: dialogs (alert, confirm) it raised, requests to any
/// origin but the server's (never sent: the network beyond the server is cut), and Content-Security-Policy violations.
/// </summary>
public sealed class OpenPage : IAsyncDisposable
{
    readonly IBrowserContext _context;
    public IPage Page { get; }
    public List<string> Dialogs { get; } = [];
    public List<string> ForeignRequests { get; } = [];
    public List<string> PolicyViolations { get; } = [];

    readonly string _origin;

    public OpenPage(IBrowserContext context, IPage page, Uri server)
    {
        _context = context;
        _origin = server.GetLeftPart(UriPartial.Authority) + "/";
        Page = page;
        page.Dialog += (_, dialog) => { Dialogs.Add(dialog.Message); _ = dialog.DismissAsync(); };
        page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy")) PolicyViolations.Add(message.Text); };
    }

    /// <summary>Every request for another origin is recorded and refused, as if only the server were reachable.</summary>
    public Task CutNetworkAsync() => _context.RouteAsync(url => !url.StartsWith(_origin), route =>
    {
        lock (ForeignRequests) ForeignRequests.Add(route.Request.Url);
        return route.AbortAsync();
    });

    /// <summary>Nothing left the server's origin, no dialog opened and the page kept within its own policy.</summary>
    public void AssertContained()
    {
        Assert.Empty(Dialogs);
        Assert.Empty(ForeignRequests);
        Assert.Empty(PolicyViolations);
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}
