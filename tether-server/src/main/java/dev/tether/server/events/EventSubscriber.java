package dev.tether.server.events;

/** A live reader of the event stream, fed by {@link EventBroadcaster}. */
public interface EventSubscriber {

    /**
     * One new event, in increasing id order. Called from the broadcaster's database thread: must not
     * block; an implementation that cannot keep up drops the subscription (it is bounded).
     */
    void offer(ServerEvent event);
}
