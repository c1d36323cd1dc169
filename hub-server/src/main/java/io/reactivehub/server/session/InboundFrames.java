package io.reactivehub.server.session;

import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Consumer;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * A connection's inbound frames, handed to the session one by one; completes when the inbound
 * ends (an inbound error ends it too, as the peer is gone). One object per connection where
 * {@code receiveFrames().doOnNext(..).onErrorResume(..).then().doFinally(..)} kept seven operators
 * and their subscribers alive for the connection's whole life (about 300 bytes of every idle
 * connection). Subscribed once, by Reactor Netty.
 */
final class InboundFrames extends Mono<Void> implements CoreSubscriber<Object>, Subscription {
    private static final AtomicIntegerFieldUpdater<InboundFrames> DONE =
            AtomicIntegerFieldUpdater.newUpdater(InboundFrames.class, "done");
    private final Publisher<?> inbound;
    private final Consumer<WebSocketFrame> onFrame;
    private final Consumer<Throwable> onError;
    private final Runnable onEnd;
    private CoreSubscriber<? super Void> actual;
    private volatile Subscription upstream;
    private volatile int done;

    /**
     * @param inbound the connection's inbound objects ({@code WebsocketInbound.receiveObject()})
     * @param onFrame each frame, on the event loop
     * @param onError an inbound error, before {@code onEnd}
     * @param onEnd   once, when the inbound completes, fails or is cancelled
     */
    InboundFrames(Publisher<?> inbound, Consumer<WebSocketFrame> onFrame, Consumer<Throwable> onError, Runnable onEnd) {
        this.inbound = inbound;
        this.onFrame = onFrame;
        this.onError = onError;
        this.onEnd = onEnd;
    }

    @Override
    public void subscribe(CoreSubscriber<? super Void> actual) {
        this.actual = actual;
        inbound.subscribe(this);
    }

    @Override
    public void onSubscribe(Subscription s) {
        if (Operators.validate(upstream, s)) {
            upstream = s;
            actual.onSubscribe(this);
            s.request(Long.MAX_VALUE);
        }
    }

    @Override
    public void onNext(Object o) {
        if (o instanceof WebSocketFrame frame) {
            onFrame.accept(frame);
        }
    }

    @Override
    public void onError(Throwable t) {
        onError.accept(t);
        onComplete();
    }

    @Override
    public void onComplete() {
        if (DONE.compareAndSet(this, 0, 1)) {
            onEnd.run();
            actual.onComplete();
        }
    }

    @Override
    public void request(long n) {
        // no values: demand does not matter
    }

    @Override
    public void cancel() {
        Subscription s = upstream;
        if (s != null) {
            s.cancel();
        }
        if (DONE.compareAndSet(this, 0, 1)) {
            onEnd.run();
        }
    }
}
