-- Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d).
-- One database per service (names from libs/service-kit/src/topology.ts); each app creates its own schema by
-- running its migrations at start-up.
CREATE DATABASE unionfed_membership;
CREATE DATABASE unionfed_finance;
CREATE DATABASE unionfed_congress;
CREATE DATABASE unionfed_activities;
CREATE DATABASE unionfed_welfare;
CREATE DATABASE unionfed_gateway;
