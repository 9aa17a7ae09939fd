using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Tests.Storage.Postgres;

[Collection(PgliteCollection.Name)]
public sealed class PostgresConnectTests(PgliteServer server)
{
    [Fact]
    public void A_new_database_gets_the_schema_and_opens_again()
    {
        var url = server.FreshDatabaseUrl();
        using (var store = PostgresRagStore.Open(url, create: true))
            Assert.Equal(new StoreCounts(0, 0, 0, 0), store.Counts());
        using (var store = RagStore.Open(url, create: false))
            Assert.IsType<PostgresRagStore>(store);
        Assert.Equal("phisharp-rag", server.Admin("SELECT value FROM rag_meta WHERE key = 'format'"));
        Assert.Equal("1", server.Admin("SELECT value FROM rag_meta WHERE key = 'version'"));
    }
}
