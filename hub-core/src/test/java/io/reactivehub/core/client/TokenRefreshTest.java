package io.reactivehub.core.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class TokenRefreshTest {
    private static String jwt(String payload) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + ".c2ln";
    }

    @Test
    void readsTheExpiryOfAJwt() {
        assertThat(TokenRefresh.expiresAt(jwt("{\"sub\":\"ann\",\"exp\":1767225600}")))
                .isEqualTo(1767225600L);
    }

    @Test
    void aTokenWithoutExpiryOrNotAJwtHasNone() {
        assertThat(TokenRefresh.expiresAt(jwt("{\"sub\":\"ann\"}"))).isEqualTo(-1);
        assertThat(TokenRefresh.expiresAt(jwt("{\"exp\":\"soon\"}"))).isEqualTo(-1);
        assertThat(TokenRefresh.expiresAt(jwt("[1,2]"))).isEqualTo(-1);
        assertThat(TokenRefresh.expiresAt(jwt("not json"))).isEqualTo(-1);
        assertThat(TokenRefresh.expiresAt("opaque-token")).isEqualTo(-1);
        assertThat(TokenRefresh.expiresAt("a.!!!.c")).isEqualTo(-1);
    }
}
