namespace Interp.Autograd;

/// <summary>Whether ops record the graph on this thread. `using (GradMode.NoGrad()) { ... }` is torch.no_grad().</summary>
public static class GradMode
{
    [ThreadStatic] static bool disabled;

    public static bool IsEnabled => !disabled;

    public static IDisposable NoGrad() => new Scope(enabled: false);

    public static IDisposable EnableGrad() => new Scope(enabled: true);

    sealed class Scope : IDisposable
    {
        readonly bool previous;
        bool done;
        public Scope(bool enabled) { previous = disabled; disabled = !enabled; }
        public void Dispose() { if (!done) { disabled = previous; done = true; } }
    }
}
