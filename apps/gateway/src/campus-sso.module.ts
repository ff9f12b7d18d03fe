import { Module } from '@nestjs/common';
import { OidcLogin } from './application/oidc-login';
import { GatewayCoreModule } from './gateway-core.module';
import { OidcController } from './graphql/oidc.controller';
import { OidcLoginRepository } from './infrastructure/oidc-login.repository';

/** Campus SSO (OpenID Connect): the /auth/oidc routes, on when UNIONFED_OIDC_* is configured (404 otherwise). */
@Module({
  imports: [GatewayCoreModule],
  controllers: [OidcController],
  providers: [OidcLoginRepository, OidcLogin],
})
export class CampusSsoModule {}
