namespace Interp.Training;

/// <summary>
/// While alive, Ctrl-C asks a run to stop after its current step instead of killing the process, so the run can
/// save a checkpoint or report on the model as it is. Pass <see cref="Requested"/> as a training loop's stop check.
/// </summary>
public sealed class StopOnCtrlC : IDisposable
{
    volatile bool requested;
    readonly ConsoleCancelEventHandler handler;

    public StopOnCtrlC()
    {
        handler = (_, e) => { e.Cancel = true; requested = true; };
        Console.CancelKeyPress += handler;
    }

    public bool Requested() => requested;

    public void Dispose() => Console.CancelKeyPress -= handler;
}
